/* pg.c: the PostgreSQL backend (libpq). The same tables and columns as the SQLite backend,
 * its own numbered migrations (version in samtycke_schema), every writer serialised by one
 * transaction-scoped advisory lock, statements prepared once per connection with bound
 * parameters and binary results. See "The PostgreSQL backend" in docs/internals/store.md. */
#include "store/store.h"
#include "store/store_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/str.h"

#define PG_PAGE 1000        /* rows an iteration fetches at a time */
#define PG_MAXP 24          /* parameters of one statement, at most */
#define PG_ROWS_TABLES 32   /* at least sk_store_ntables (checked in rows_put) */
/* The advisory lock every writer takes (pg_advisory_xact_lock): "samtycke" in ASCII, cut to
 * 63 bits. Advisory locks are per database, so stores in other databases never meet it. */
#define PG_WRITER_LOCK "8313416780553988963"
#define PG_LOCK_TIMEOUT "5s"  /* as SQLite's busy timeout */
#define PG_SCRUB_LOCK_TIMEOUT "200ms"

/* What every connection sets first (at open, and again when it is opened anew). */
#define PG_SESSION_SQL                                                                   \
	"SET lock_timeout = '" PG_LOCK_TIMEOUT "'; SET client_encoding = 'UTF8';"          \
	" SELECT set_config('synchronous_commit', 'on', false)"                            \
	" WHERE current_setting('synchronous_commit') IN ('off', 'local')"

/* A writer never waits on its client inside a write transaction; one whose client has gone
 * without a word (a host that lost power or its network: no FIN, so PostgreSQL would keep the
 * session, and the writer's lock, until TCP keepalive notices, two hours by Linux's defaults)
 * is ended by the server after PG_WRITE_IDLE, and the other servers' writers go on. */
#define PG_WRITE_IDLE "30s"
#define PG_BEGIN_WRITE                                                           \
	"BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '" PG_LOCK_TIMEOUT \
	"'; SET LOCAL idle_in_transaction_session_timeout = '" PG_WRITE_IDLE "';"      \
	" SELECT pg_advisory_xact_lock(" PG_WRITER_LOCK ")"

/* Migration N is migrations[N - 1], run in one transaction holding the writer's lock; each
 * ends by setting samtycke_schema.version to N. Append new ones; never edit one that has
 * shipped. Migration 1 is the SQLite schema of its migration 8, whole. */
static const char *const migrations[] = {
	/* 1: the whole schema (SQLite's migrations 1 to 8) */
	"CREATE TABLE samtycke_schema(version BIGINT NOT NULL);"
	"INSERT INTO samtycke_schema(version) VALUES(0);"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE policy_versions(version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL,"
	" text TEXT NOT NULL);"
	"CREATE TABLE notices(purpose TEXT, version BIGINT, lang TEXT, text TEXT NOT NULL,"
	" sha256 BYTEA NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY(purpose, version, lang));"
	"CREATE TABLE contacts(id TEXT PRIMARY KEY, email_key BYTEA NOT NULL UNIQUE,"
	" created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
	"CREATE TABLE contact_keys(contact_id TEXT PRIMARY KEY"
	" REFERENCES contacts(id) ON DELETE CASCADE, wrapped BYTEA NOT NULL);"
	"CREATE TABLE contact_fields(contact_id TEXT REFERENCES contacts(id) ON DELETE CASCADE,"
	" name TEXT, sealed BYTEA NOT NULL, PRIMARY KEY(contact_id, name));"
	"CREATE TABLE consent_ledger(seq BIGINT PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	" contact_id TEXT NOT NULL, purpose TEXT NOT NULL, action TEXT NOT NULL,"
	" occurred_at BIGINT NOT NULL, recorded_at BIGINT NOT NULL, method TEXT NOT NULL,"
	" source TEXT NOT NULL, notice_version BIGINT NOT NULL, notice_sha256 BYTEA NOT NULL,"
	" lang TEXT NOT NULL, valid_until BIGINT NOT NULL, actor TEXT NOT NULL,"
	" flags BIGINT NOT NULL, evidence BYTEA, prev_hash BYTEA NOT NULL, hash BYTEA NOT NULL,"
	" hash_version BIGINT NOT NULL DEFAULT 1);"
	"CREATE INDEX consent_ledger_contact ON consent_ledger(contact_id, seq);"
	"CREATE TABLE consent_state(email_key BYTEA NOT NULL, purpose TEXT NOT NULL,"
	" contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	" status TEXT NOT NULL, seq BIGINT NOT NULL, event_id TEXT NOT NULL,"
	" updated_at BIGINT NOT NULL, valid_until BIGINT NOT NULL,"
	" notice_version BIGINT NOT NULL, PRIMARY KEY(email_key, purpose));"
	"CREATE UNIQUE INDEX consent_state_contact ON consent_state(contact_id, purpose);"
	"CREATE INDEX consent_state_pending ON consent_state(updated_at) WHERE status = 'pending';"
	"CREATE TABLE suppressions(email_key BYTEA PRIMARY KEY, reason TEXT NOT NULL,"
	" at BIGINT NOT NULL);"
	"CREATE TABLE changes(seq BIGINT PRIMARY KEY, type TEXT NOT NULL,"
	" contact_id TEXT NOT NULL, purpose TEXT NOT NULL, status TEXT NOT NULL,"
	" at BIGINT NOT NULL);"
	"CREATE TABLE api_keys(id TEXT PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL,"
	" secret_hash BYTEA NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT NOT NULL);"
	"CREATE UNIQUE INDEX api_keys_active_name ON api_keys(name) WHERE revoked_at = 0;"
	"CREATE TABLE idempotency(key_id TEXT, idem_key TEXT, request_hash BYTEA NOT NULL,"
	" status BIGINT NOT NULL, body TEXT NOT NULL, created_at BIGINT NOT NULL,"
	" PRIMARY KEY(key_id, idem_key));"
	"CREATE INDEX idempotency_created ON idempotency(created_at);"
	"CREATE TABLE rectifications(contact_id TEXT NOT NULL REFERENCES contacts(id)"
	" ON DELETE CASCADE, at BIGINT NOT NULL, actor TEXT NOT NULL, fields TEXT NOT NULL);"
	"CREATE INDEX rectifications_contact ON rectifications(contact_id, at);"
	"CREATE TABLE webhooks(id TEXT PRIMARY KEY, name TEXT NOT NULL, url TEXT NOT NULL,"
	" events TEXT NOT NULL, secret BYTEA NOT NULL, created_at BIGINT NOT NULL,"
	" enabled BIGINT NOT NULL, cursor BIGINT NOT NULL, failures BIGINT NOT NULL,"
	" first_failure_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL,"
	" last_status BIGINT NOT NULL, last_error TEXT NOT NULL,"
	" last_attempt_at BIGINT NOT NULL, nfailed BIGINT NOT NULL,"
	" last_failed_seq BIGINT NOT NULL);"
	"CREATE TABLE form_requests(id TEXT PRIMARY KEY, email_key BYTEA NOT NULL,"
	" purposes TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
	" payload BYTEA NOT NULL);"
	"CREATE INDEX form_requests_key ON form_requests(email_key);"
	"CREATE INDEX form_requests_expiry ON form_requests(expires_at);"
	"CREATE TABLE mail_outbox(id TEXT PRIMARY KEY, email_key BYTEA NOT NULL,"
	" kind TEXT NOT NULL, ref TEXT NOT NULL, created_at BIGINT NOT NULL,"
	" next_attempt_at BIGINT NOT NULL, attempts BIGINT NOT NULL, sent_at BIGINT NOT NULL,"
	" failed_at BIGINT NOT NULL, last_error TEXT NOT NULL);"
	"CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE sent_at = 0"
	" AND failed_at = 0;"
	"CREATE INDEX mail_outbox_key ON mail_outbox(email_key, created_at);"
	"CREATE TABLE leases(name TEXT PRIMARY KEY, holder TEXT NOT NULL, until BIGINT NOT NULL);"
	"UPDATE samtycke_schema SET version = 1;",
	/* 2 (SQLite's 9, issue 15): the staff console's users, sessions and audit trail */
	"CREATE TABLE staff_users(name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL,"
	" created_at BIGINT NOT NULL, disabled BIGINT NOT NULL, failed BIGINT NOT NULL,"
	" locked_until BIGINT NOT NULL);"
	"CREATE TABLE staff_sessions(id TEXT PRIMARY KEY, secret_hash BYTEA NOT NULL,"
	" staff TEXT NOT NULL, key_id TEXT NOT NULL, who TEXT NOT NULL, role TEXT NOT NULL,"
	" created_at BIGINT NOT NULL, last_seen BIGINT NOT NULL, expires_at BIGINT NOT NULL);"
	"CREATE INDEX staff_sessions_expiry ON staff_sessions(expires_at);"
	"CREATE TABLE staff_audit(seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, who TEXT NOT NULL,"
	" role TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);"
	"UPDATE samtycke_schema SET version = 2;",
	/* 3 (SQLite's 10, issue 16): the banner's visitors and their answers (docs/banner.md) */
	"CREATE TABLE visitors(id TEXT PRIMARY KEY, contact_id TEXT REFERENCES contacts(id)"
	" ON DELETE CASCADE, created_at BIGINT NOT NULL, last_seen_at BIGINT NOT NULL);"
	"CREATE INDEX visitors_contact ON visitors(contact_id) WHERE contact_id IS NOT NULL;"
	"CREATE INDEX visitors_seen ON visitors(last_seen_at) WHERE contact_id IS NULL;"
	"CREATE TABLE visitor_answers(seq BIGINT PRIMARY KEY, visitor_id TEXT NOT NULL"
	" REFERENCES visitors(id) ON DELETE CASCADE, purpose TEXT NOT NULL, action TEXT NOT NULL,"
	" at BIGINT NOT NULL, banner_version TEXT NOT NULL, notice_version BIGINT NOT NULL,"
	" notice_sha256 BYTEA NOT NULL, lang TEXT NOT NULL, page TEXT NOT NULL,"
	" signal TEXT NOT NULL, ua_class TEXT NOT NULL);"
	"CREATE INDEX visitor_answers_visitor ON visitor_answers(visitor_id, seq);"
	"UPDATE samtycke_schema SET version = 3;",
	/* 4 (SQLite's 11, issue 16): tracking events, company ranges, scores */
	"CREATE TABLE track_events(id TEXT PRIMARY KEY, at BIGINT NOT NULL, type TEXT NOT NULL,"
	" name TEXT NOT NULL, url TEXT NOT NULL, utm_source TEXT NOT NULL,"
	" utm_medium TEXT NOT NULL, utm_campaign TEXT NOT NULL, utm_term TEXT NOT NULL,"
	" utm_content TEXT NOT NULL, visitor_id TEXT NOT NULL,"
	" contact_id TEXT REFERENCES contacts(id) ON DELETE CASCADE,"
	" campaign_id TEXT NOT NULL, ip TEXT NOT NULL, company TEXT NOT NULL);"
	"CREATE INDEX track_events_contact ON track_events(contact_id, at)"
	" WHERE contact_id IS NOT NULL;"
	"CREATE INDEX track_events_visitor ON track_events(visitor_id, at);"
	"CREATE INDEX track_events_at ON track_events(at);"
	"CREATE TABLE company_ranges(start_key BYTEA NOT NULL, end_key BYTEA NOT NULL,"
	" name TEXT NOT NULL, PRIMARY KEY(start_key, end_key));"
	"CREATE TABLE scores(contact_id TEXT PRIMARY KEY REFERENCES contacts(id)"
	" ON DELETE CASCADE, score BIGINT NOT NULL, computed_at BIGINT NOT NULL,"
	" nevents BIGINT NOT NULL, last_at BIGINT NOT NULL);"
	"UPDATE samtycke_schema SET version = 4;",
	/* 5 (SQLite's 12, issue 16): mail campaigns and their send log */
	"CREATE TABLE campaigns(id TEXT PRIMARY KEY, name TEXT NOT NULL, purpose TEXT NOT NULL,"
	" status TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
	" spec TEXT NOT NULL);"
	"CREATE TABLE campaign_sends(id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL"
	" REFERENCES campaigns(id) ON DELETE CASCADE, contact_id TEXT NOT NULL"
	" REFERENCES contacts(id) ON DELETE CASCADE, state TEXT NOT NULL, reason TEXT NOT NULL,"
	" consent_id TEXT NOT NULL, lang TEXT NOT NULL, queued_at BIGINT NOT NULL,"
	" sent_at BIGINT NOT NULL, UNIQUE(campaign_id, contact_id));"
	"CREATE INDEX campaign_sends_contact ON campaign_sends(contact_id);"
	/* the outbox's next mail (PG_OUTBOX_NEXT) read in index order (SQLite's 12 too) */
	"DROP INDEX mail_outbox_due;"
	"CREATE INDEX mail_outbox_due ON mail_outbox((kind = 'campaign'), next_attempt_at,"
	" created_at)"
	" WHERE sent_at = 0 AND failed_at = 0;"
	"UPDATE samtycke_schema SET version = 5;",
};
#define PG_NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define PG_LEDGER_COLS                                                                \
	"seq, id, contact_id, purpose, action, occurred_at, recorded_at, method, source," \
	" notice_version, notice_sha256, lang, valid_until, actor, flags, evidence,"      \
	" prev_hash, hash, hash_version"
#define PG_STATE_COLS \
	"contact_id, purpose, status, seq, event_id, updated_at, valid_until, notice_version"
#define PG_STAFF_COLS "name, role, hash, created_at, disabled, failed, locked_until"
#define PG_SESSION_COLS \
	"id, secret_hash, staff, key_id, who, role, created_at, last_seen, expires_at"
#define PG_AUDIT_COLS "seq, at, who, role, action, target, detail"
#define PG_TRACK_COLS                                                                  \
	"id, at, type, name, url, utm_source, utm_medium, utm_campaign, utm_term, utm_content," \
	" visitor_id, contact_id, campaign_id, ip, company"
#define PG_CHANGE_COLS "seq, type, contact_id, purpose, status, at"
#define PG_KEY_COLS "id, name, scopes, secret_hash, created_at, revoked_at"
#define PG_REQUEST_COLS "id, email_key, purposes, created_at, expires_at, payload"
#define PG_OUTBOX_COLS                                                                  \
	"id, email_key, kind, ref, created_at, next_attempt_at, attempts, sent_at, failed_at," \
	" last_error"
#define PG_WEBHOOK_COLS                                                                 \
	"id, name, url, events, secret, created_at, enabled, cursor, failures,"            \
	" first_failure_at, next_attempt_at, last_status, last_error, last_attempt_at,"   \
	" nfailed, last_failed_seq"

#define PG_CAMPAIGN_COLS "id, name, purpose, status, created_at, updated_at, spec"
#define PG_SEND_COLS \
	"id, campaign_id, contact_id, state, reason, consent_id, lang, queued_at, sent_at"

enum pg_stmt {
	PG_META_GET,
	PG_META_SET,
	PG_POLICY_PUT,
	PG_POLICY_GET,
	PG_NOTICE_PUT,
	PG_NOTICE_GET,
	PG_NOTICE_LATEST,
	PG_CONTACT_INSERT,
	PG_CONTACT_BY_KEY,
	PG_CONTACT_BY_ID,
	PG_CONTACT_TOUCH,
	PG_DATAKEY_PUT,
	PG_DATAKEY_GET,
	PG_FIELD_PUT,
	PG_FIELD_EACH,
	PG_LEDGER_APPEND,
	PG_LEDGER_LAST,
	PG_LEDGER_EACH_ALL,
	PG_LEDGER_EACH_CONTACT,
	PG_STATE_PUT,
	PG_STATE_GET,
	PG_STATE_EACH_ALL,
	PG_STATE_EACH_CONTACT,
	PG_STATE_CLEAR,
	PG_SUPPRESSION_PUT,
	PG_GATE_LOOKUP,
	PG_CHANGE_APPEND,
	PG_CHANGE_EACH,
	PG_LEDGER_GET,
	PG_KEY_PUT,
	PG_KEY_GET,
	PG_KEY_EACH,
	PG_KEY_REVOKE,
	PG_IDEM_GET,
	PG_IDEM_PUT,
	PG_IDEM_PURGE,
	PG_CONTACT_DELETE,
	PG_CONTACT_EACH,
	PG_FIELD_DELETE,
	PG_SUPPRESSION_DELETE,
	PG_RECT_PUT,
	PG_RECT_EACH,
	PG_WEBHOOK_PUT,
	PG_WEBHOOK_GET,
	PG_WEBHOOK_EACH,
	PG_WEBHOOK_DELETE,
	PG_WEBHOOK_STATE,
	PG_CHANGE_LAST,
	PG_REQUEST_PUT,
	PG_REQUEST_GET,
	PG_REQUEST_DELETE,
	PG_REQUEST_DELETE_KEY,
	PG_REQUEST_EXPIRE,
	PG_REQUEST_PENDING,
	PG_OUTBOX_PUT,
	PG_OUTBOX_NEXT,
	PG_OUTBOX_STATE,
	PG_OUTBOX_COUNT,
	PG_OUTBOX_PURGE,
	PG_CONTACT_REKEY,
	PG_STATE_COUNT_LIVE,
	PG_REQUEST_COUNT,
	PG_STATE_PENDING_EACH,
	PG_STATE_GIVEN_EACH,
	PG_LEDGER_BY_CONTACT,
	PG_STATE_PAGE,
	PG_LEASE_TAKE,
	PG_LEASE_RELEASE,
	PG_LEASE_GET,
	PG_SCRUB_READERS,
	PG_STAFF_PUT,
	PG_STAFF_GET,
	PG_STAFF_UPDATE,
	PG_STAFF_EACH,
	PG_SESSION_PUT,
	PG_SESSION_GET,
	PG_SESSION_TOUCH,
	PG_SESSION_DELETE,
	PG_SESSION_PURGE,
	PG_AUDIT_APPEND,
	PG_AUDIT_EACH,
	PG_WEBHOOK_SECRET_SET,
	PG_STATE_TALLY,
	PG_LEDGER_TALLY,
	PG_SUPPRESSION_TALLY,
	PG_OUTBOX_TALLY,
	PG_SESSION_DELETE_STAFF,
	PG_CAMPAIGN_PUT,
	PG_CAMPAIGN_GET,
	PG_CAMPAIGN_EACH,
	PG_SEND_PUT,
	PG_SEND_GET,
	PG_SEND_STATE,
	PG_SEND_TALLY,
	PG_SEND_EACH_CONTACT,
	PG_VISITOR_PUT,
	PG_VISITOR_GET,
	PG_VISITOR_BY_CONTACT,
	PG_VISITOR_ANSWER_APPEND,
	PG_VISITOR_ANSWER_EACH,
	PG_VISITOR_PURGE,
	PG_TRACK_PUT,
	PG_TRACK_EACH_CONTACT,
	PG_TRACK_EACH_VISITOR,
	PG_TRACK_IP_SET,
	PG_TRACK_FORGET_EVENTS,
	PG_TRACK_FORGET_SCORE,
	PG_TRACK_PURGE,
	PG_COMPANY_CLEAR,
	PG_COMPANY_PUT,
	PG_COMPANY_FIND,
	PG_SCORE_PUT,
	PG_SCORE_GET,
	PG_TRACK_DELETE_VISITORS,
	PG_SCORE_EACH,
	PG_TRACK_SWEEP_EACH,
	PG_TRACK_COUNT_VISITOR,
	PG_LEASE_LIVE,
	PG_DATAKEY_REPLACE,
	PG_REQUEST_RESEAL,
	PG_DB_SIZE,
	PG_NSTMT
};

/* Integers in a select list carry a cast so that each parameter has one type and every
 * integer result is an int8. An insert whose EXISTS is an answer core expects says ON
 * CONFLICT DO NOTHING: a raised unique violation would abort the caller's transaction. */
static const char *const pg_sql[PG_NSTMT] = {
	[PG_META_GET] = "SELECT value FROM meta WHERE key = $1",
	[PG_META_SET] = "INSERT INTO meta(key, value) VALUES($1, $2)"
			" ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	/* inside the writer's lock (pg_policy_put): max + 1 */
	[PG_POLICY_PUT] = "INSERT INTO policy_versions(version, applied_at, text)"
			  " SELECT coalesce(max(version), 0) + 1, $1::bigint, $2::text"
			  " FROM policy_versions RETURNING version",
	[PG_POLICY_GET] = "SELECT version, applied_at, text FROM policy_versions"
			  " ORDER BY version DESC LIMIT 1",
	[PG_NOTICE_PUT] = "INSERT INTO notices(purpose, version, lang, text, sha256, created_at)"
			  " VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
	[PG_NOTICE_GET] = "SELECT purpose, version, lang, text, sha256, created_at FROM notices"
			  " WHERE purpose = $1 AND lang = $3 AND ($2::bigint = 0 OR version = $2::bigint)"
			  " ORDER BY version DESC LIMIT 1",
	[PG_NOTICE_LATEST] = "SELECT coalesce(max(version), 0)::bigint FROM notices"
			     " WHERE purpose = $1",
	[PG_CONTACT_INSERT] = "INSERT INTO contacts(id, email_key, created_at, updated_at)"
			      " VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING",
	[PG_CONTACT_BY_KEY] = "SELECT id, email_key, created_at, updated_at FROM contacts"
			      " WHERE email_key = $1",
	[PG_CONTACT_BY_ID] = "SELECT id, email_key, created_at, updated_at FROM contacts"
			     " WHERE id = $1",
	[PG_CONTACT_TOUCH] = "UPDATE contacts SET updated_at = $2 WHERE id = $1",
	[PG_DATAKEY_PUT] = "INSERT INTO contact_keys(contact_id, wrapped) VALUES($1, $2)"
			   " ON CONFLICT(contact_id) DO UPDATE SET wrapped = excluded.wrapped",
	[PG_DATAKEY_GET] = "SELECT wrapped FROM contact_keys WHERE contact_id = $1",
	[PG_FIELD_PUT] = "INSERT INTO contact_fields(contact_id, name, sealed) VALUES($1, $2, $3)"
			 " ON CONFLICT(contact_id, name) DO UPDATE SET sealed = excluded.sealed",
	[PG_FIELD_EACH] = "SELECT name, sealed FROM contact_fields WHERE contact_id = $1"
			  " ORDER BY name",
	[PG_LEDGER_APPEND] = "INSERT INTO consent_ledger(" PG_LEDGER_COLS ") VALUES($1, $2, $3,"
			     " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
			     " ON CONFLICT DO NOTHING",
	[PG_LEDGER_LAST] = "SELECT seq, hash FROM consent_ledger ORDER BY seq DESC LIMIT 1",
	[PG_LEDGER_EACH_ALL] = "SELECT " PG_LEDGER_COLS " FROM consent_ledger WHERE seq > $1"
			       " ORDER BY seq",
	[PG_LEDGER_EACH_CONTACT] = "SELECT " PG_LEDGER_COLS " FROM consent_ledger"
				   " WHERE contact_id = $2 AND seq > $1 ORDER BY seq",
	/* The email_key comes from the contact: a state without its contact fails. */
	[PG_STATE_PUT] = "INSERT INTO consent_state(email_key, " PG_STATE_COLS ")"
			 " VALUES((SELECT email_key FROM contacts WHERE id = $1),"
			 " $1, $2, $3, $4, $5, $6, $7, $8)"
			 " ON CONFLICT(email_key, purpose) DO UPDATE SET status = excluded.status,"
			 " seq = excluded.seq, event_id = excluded.event_id,"
			 " updated_at = excluded.updated_at, valid_until = excluded.valid_until,"
			 " notice_version = excluded.notice_version",
	[PG_STATE_GET] = "SELECT " PG_STATE_COLS " FROM consent_state"
			 " WHERE contact_id = $1 AND purpose = $2",
	[PG_STATE_EACH_ALL] = "SELECT " PG_STATE_COLS " FROM consent_state"
			      " ORDER BY contact_id, purpose",
	[PG_STATE_EACH_CONTACT] = "SELECT " PG_STATE_COLS " FROM consent_state"
				  " WHERE contact_id = $1 ORDER BY purpose",
	[PG_STATE_CLEAR] = "DELETE FROM consent_state",
	[PG_SUPPRESSION_PUT] = "INSERT INTO suppressions(email_key, reason, at) VALUES($1, $2, $3)"
			       " ON CONFLICT(email_key) DO UPDATE SET reason = excluded.reason,"
			       " at = excluded.at",
	/* One row, one round trip: the suppression reason (NULL when none), the contact id
	 * (NULL when unknown), then the state of purpose $2 (NULLs when none). */
	[PG_GATE_LOOKUP] = "SELECT (SELECT reason FROM suppressions WHERE email_key = $1),"
			   " CASE WHEN s.contact_id IS NULL"
			   " THEN (SELECT id FROM contacts WHERE email_key = $1)"
			   " ELSE s.contact_id END,"
			   " s.contact_id, s.purpose, s.status, s.seq, s.event_id, s.updated_at,"
			   " s.valid_until, s.notice_version"
			   " FROM (SELECT 1) AS one"
			   " LEFT JOIN consent_state AS s ON s.email_key = $1 AND s.purpose = $2::text",
	/* inside the writer's lock (pg_change_append): max + 1, gap-free */
	[PG_CHANGE_APPEND] = "INSERT INTO changes(" PG_CHANGE_COLS ")"
			     " SELECT coalesce(max(seq), 0) + 1, $1::text, $2::text, $3::text,"
			     " $4::text, $5::bigint FROM changes RETURNING seq",
	/* LIMIT NULL is no limit */
	[PG_CHANGE_EACH] = "SELECT " PG_CHANGE_COLS " FROM changes WHERE seq > $1"
			   " ORDER BY seq LIMIT $2",
	[PG_LEDGER_GET] = "SELECT " PG_LEDGER_COLS " FROM consent_ledger WHERE id = $1",
	[PG_KEY_PUT] = "INSERT INTO api_keys(" PG_KEY_COLS ") VALUES($1, $2, $3, $4, $5, $6)"
		       " ON CONFLICT DO NOTHING",
	[PG_KEY_GET] = "SELECT " PG_KEY_COLS " FROM api_keys WHERE id = $1",
	[PG_KEY_EACH] = "SELECT " PG_KEY_COLS " FROM api_keys ORDER BY created_at, name, id",
	[PG_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at = 0",
	[PG_IDEM_GET] = "SELECT request_hash, status, body, created_at FROM idempotency"
			" WHERE key_id = $1 AND idem_key = $2",
	[PG_IDEM_PUT] = "INSERT INTO idempotency(key_id, idem_key, request_hash, status, body,"
			" created_at) VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
	[PG_IDEM_PURGE] = "DELETE FROM idempotency WHERE created_at < $1",
	/* fields, data key, states and rectifications go by ON DELETE CASCADE */
	[PG_CONTACT_DELETE] = "DELETE FROM contacts WHERE id = $1",
	[PG_CONTACT_EACH] = "SELECT id, email_key, created_at, updated_at FROM contacts"
			    " WHERE id > $1 ORDER BY id LIMIT $2",
	[PG_FIELD_DELETE] = "DELETE FROM contact_fields WHERE contact_id = $1 AND name = $2",
	[PG_SUPPRESSION_DELETE] = "DELETE FROM suppressions WHERE email_key = $1",
	[PG_RECT_PUT] = "INSERT INTO rectifications(contact_id, at, actor, fields)"
			" VALUES($1, $2, $3, $4)",
	/* no rowid: rows of one moment come in a fixed order of their own */
	[PG_RECT_EACH] = "SELECT at, actor, fields FROM rectifications WHERE contact_id = $1"
			 " ORDER BY at, ctid",
	[PG_WEBHOOK_PUT] = "INSERT INTO webhooks(" PG_WEBHOOK_COLS ") VALUES($1, $2, $3, $4, $5,"
			   " $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING",
	[PG_WEBHOOK_GET] = "SELECT " PG_WEBHOOK_COLS " FROM webhooks WHERE id = $1",
	[PG_WEBHOOK_EACH] = "SELECT " PG_WEBHOOK_COLS " FROM webhooks ORDER BY id",
	[PG_WEBHOOK_DELETE] = "DELETE FROM webhooks WHERE id = $1",
	[PG_WEBHOOK_STATE] = "UPDATE webhooks SET enabled = $2, cursor = $3, failures = $4,"
			     " first_failure_at = $5, next_attempt_at = $6, last_status = $7,"
			     " last_error = $8, last_attempt_at = $9, nfailed = $10,"
			     " last_failed_seq = $11 WHERE id = $1",
	[PG_CHANGE_LAST] = "SELECT coalesce(max(seq), 0)::bigint FROM changes",
	[PG_REQUEST_PUT] = "INSERT INTO form_requests(" PG_REQUEST_COLS ") VALUES($1, $2, $3, $4,"
			   " $5, $6) ON CONFLICT DO NOTHING",
	[PG_REQUEST_GET] = "SELECT " PG_REQUEST_COLS " FROM form_requests WHERE id = $1",
	[PG_REQUEST_DELETE] = "DELETE FROM form_requests WHERE id = $1",
	/* one statement, so atomic outside a transaction too */
	[PG_REQUEST_DELETE_KEY] = "WITH o AS (DELETE FROM mail_outbox WHERE email_key = $1)"
				  " DELETE FROM form_requests WHERE email_key = $1",
	/* with the unsent mail of the requests that go */
	[PG_REQUEST_EXPIRE] = "WITH o AS (DELETE FROM mail_outbox WHERE sent_at = 0"
			      " AND kind = 'confirm' AND ref IN (SELECT id FROM form_requests"
			      " WHERE expires_at <= $1::bigint))"
			      " DELETE FROM form_requests WHERE expires_at <= $1::bigint",
	[PG_REQUEST_PENDING] = "SELECT EXISTS(SELECT 1 FROM form_requests WHERE email_key = $1"
			       " AND expires_at > $3::bigint"
			       " AND strpos(',' || purposes || ',', ',' || $2::text || ',') > 0)",
	[PG_OUTBOX_PUT] = "INSERT INTO mail_outbox(" PG_OUTBOX_COLS ") VALUES($1, $2, $3, $4, $5,"
			  " $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
	[PG_OUTBOX_NEXT] = "SELECT " PG_OUTBOX_COLS " FROM mail_outbox WHERE sent_at = 0"
			   " AND failed_at = 0 AND next_attempt_at <= $1"
			   " ORDER BY kind = 'campaign', next_attempt_at, created_at LIMIT 1",
	[PG_OUTBOX_STATE] = "UPDATE mail_outbox SET next_attempt_at = $2, attempts = $3,"
			    " sent_at = $4, failed_at = $5, last_error = $6 WHERE id = $1",
	[PG_OUTBOX_COUNT] = "SELECT count(*) FROM mail_outbox WHERE email_key = $1"
			    " AND created_at >= $2 AND kind <> 'campaign'",
	[PG_OUTBOX_PURGE] = "DELETE FROM mail_outbox WHERE (sent_at > 0 OR failed_at > 0)"
			    " AND created_at < $1",
	/* One statement that never raises for a taken key (which would abort the caller's
	 * transaction): taken, then how many contacts moved; states move with the contact. */
	[PG_CONTACT_REKEY] = "WITH x AS (SELECT EXISTS(SELECT 1 FROM contacts WHERE email_key = $2"
			     " AND id <> $1::text) AS taken),"
			     " c AS (UPDATE contacts SET email_key = $2 WHERE id = $1::text"
			     " AND NOT (SELECT taken FROM x) RETURNING id),"
			     " s AS (UPDATE consent_state SET email_key = $2 WHERE contact_id = $1::text"
			     " AND NOT (SELECT taken FROM x))"
			     " SELECT (SELECT taken FROM x), (SELECT count(*) FROM c)",
	[PG_STATE_COUNT_LIVE] = "SELECT count(*) FROM consent_state WHERE purpose = $1"
				" AND (status IN ('pending', 'unverified') OR (status = 'given'"
				" AND (valid_until = 0 OR valid_until > $2::bigint)))",
	[PG_REQUEST_COUNT] = "SELECT count(*) FROM form_requests WHERE expires_at > $2::bigint"
			     " AND strpos(',' || purposes || ',', ',' || $1::text || ',') > 0",
	[PG_STATE_PENDING_EACH] = "SELECT " PG_STATE_COLS " FROM consent_state"
				  " WHERE status = 'pending' AND updated_at < $1"
				  " ORDER BY contact_id, purpose",
	[PG_STATE_GIVEN_EACH] = "SELECT " PG_STATE_COLS ", s.email_key FROM consent_state AS s"
				" WHERE s.contact_id > $2 AND s.purpose = $1 AND s.status = 'given'"
				" AND NOT EXISTS (SELECT 1 FROM suppressions AS x"
				" WHERE x.email_key = s.email_key)"
				" ORDER BY s.contact_id LIMIT $3",
	[PG_LEDGER_BY_CONTACT] = "SELECT " PG_LEDGER_COLS " FROM consent_ledger"
				 " ORDER BY contact_id, seq",
	[PG_STATE_PAGE] = "SELECT " PG_STATE_COLS " FROM consent_state"
			  " WHERE (contact_id, purpose) > ($1::text, $2::text)"
			  " ORDER BY contact_id, purpose LIMIT $3",
	/* one statement: taken when free, expired or ours (a row changed), else left as is */
	[PG_LEASE_TAKE] = "INSERT INTO leases(name, holder, until) VALUES($1, $2, $4::bigint)"
			  " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder,"
			  " until = excluded.until"
			  " WHERE leases.holder = excluded.holder OR leases.until <= $3::bigint",
	[PG_LEASE_RELEASE] = "DELETE FROM leases WHERE name = $1 AND holder = $2",
	[PG_LEASE_GET] = "SELECT holder, until FROM leases WHERE name = $1",
	/* another session of this database holds a snapshot: VACUUM could not remove rows
	 * deleted before it */
	[PG_SCRUB_READERS] = "SELECT EXISTS(SELECT 1 FROM pg_stat_activity"
			     " WHERE datname = current_database() AND pid <> pg_backend_pid()"
			     " AND backend_type = 'client backend' AND backend_xmin IS NOT NULL)",
	[PG_STAFF_PUT] = "INSERT INTO staff_users(" PG_STAFF_COLS ") VALUES($1, $2, $3, $4::bigint,"
			 " $5::bigint, $6::bigint, $7::bigint) ON CONFLICT DO NOTHING",
	[PG_STAFF_GET] = "SELECT " PG_STAFF_COLS " FROM staff_users WHERE name = $1",
	[PG_STAFF_UPDATE] = "UPDATE staff_users SET role = $2, hash = $3, disabled = $4::bigint,"
			    " failed = $5::bigint, locked_until = $6::bigint WHERE name = $1",
	[PG_STAFF_EACH] = "SELECT " PG_STAFF_COLS " FROM staff_users ORDER BY name",
	[PG_SESSION_PUT] = "INSERT INTO staff_sessions(" PG_SESSION_COLS ") VALUES($1, $2, $3,"
			   " $4, $5, $6, $7::bigint, $8::bigint, $9::bigint)",
	[PG_SESSION_GET] = "SELECT " PG_SESSION_COLS " FROM staff_sessions WHERE id = $1",
	[PG_SESSION_TOUCH] = "UPDATE staff_sessions SET last_seen = $2::bigint WHERE id = $1",
	[PG_SESSION_DELETE] = "DELETE FROM staff_sessions WHERE id = $1",
	[PG_SESSION_PURGE] = "DELETE FROM staff_sessions WHERE expires_at <= $1::bigint",
	[PG_AUDIT_APPEND] = "INSERT INTO staff_audit(" PG_AUDIT_COLS ")"
			    " SELECT coalesce(max(seq), 0) + 1, $1::bigint, $2, $3, $4, $5, $6"
			    " FROM staff_audit RETURNING seq",
	[PG_AUDIT_EACH] = "SELECT " PG_AUDIT_COLS " FROM staff_audit WHERE seq < $1::bigint"
			  " ORDER BY seq DESC LIMIT $2::bigint",
	[PG_WEBHOOK_SECRET_SET] = "UPDATE webhooks SET secret = $2 WHERE id = $1",
	/* the console's overview: aggregates only (store.h) */
	[PG_STATE_TALLY] = "SELECT s.purpose, s.status,"
			   " (s.valid_until <> 0 AND s.valid_until <= $1::bigint) AS lapsed,"
			   " EXISTS (SELECT 1 FROM suppressions AS x WHERE x.email_key = s.email_key)"
			   " AS supp, count(*) FROM consent_state AS s"
			   " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
	[PG_LEDGER_TALLY] = "SELECT action, (occurred_at - $1::bigint) / $2::bigint, flags,"
			    " count(*) FROM consent_ledger WHERE occurred_at >= $1::bigint"
			    " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
	[PG_SUPPRESSION_TALLY] = "SELECT reason, count(*) FROM suppressions GROUP BY 1 ORDER BY 1",
	[PG_OUTBOX_TALLY] = "SELECT sent_at > 0, failed_at > 0, min(created_at), count(*)"
			    " FROM mail_outbox GROUP BY 1, 2 ORDER BY 1, 2",
	[PG_SESSION_DELETE_STAFF] = "DELETE FROM staff_sessions WHERE staff = $1 AND staff <> ''",
	[PG_CAMPAIGN_PUT] = "INSERT INTO campaigns(" PG_CAMPAIGN_COLS ") VALUES($1, $2, $3, $4, $5,"
			    " $6, $7) ON CONFLICT(id) DO UPDATE SET status = excluded.status,"
			    " updated_at = excluded.updated_at",
	[PG_CAMPAIGN_GET] = "SELECT " PG_CAMPAIGN_COLS " FROM campaigns WHERE id = $1",
	[PG_CAMPAIGN_EACH] = "SELECT " PG_CAMPAIGN_COLS " FROM campaigns"
			     " ORDER BY created_at DESC, id DESC",
	[PG_SEND_PUT] = "INSERT INTO campaign_sends(" PG_SEND_COLS ") VALUES($1, $2, $3, $4, $5,"
			" $6, $7, $8, $9) ON CONFLICT DO NOTHING",
	[PG_SEND_GET] = "SELECT " PG_SEND_COLS " FROM campaign_sends WHERE id = $1",
	[PG_SEND_STATE] = "UPDATE campaign_sends SET state = $2, reason = $3, consent_id = $4,"
			  " sent_at = $5 WHERE id = $1",
	[PG_SEND_TALLY] = "SELECT reason, state, count(*) FROM campaign_sends"
			  " WHERE campaign_id = $1 GROUP BY 2, 1 ORDER BY 2, 1",
	[PG_SEND_EACH_CONTACT] = "SELECT " PG_SEND_COLS " FROM campaign_sends"
				 " WHERE contact_id = $1 ORDER BY queued_at, id",
	/* visitors of the banner (issue 16); answers go with their visitor (ON DELETE CASCADE) */
	[PG_VISITOR_PUT] = "INSERT INTO visitors(id, contact_id, created_at, last_seen_at)"
			   " VALUES($1, $2, $3::bigint, $4::bigint) ON CONFLICT(id) DO UPDATE SET"
			   " contact_id = excluded.contact_id, last_seen_at = excluded.last_seen_at",
	[PG_VISITOR_GET] = "SELECT id, contact_id, created_at, last_seen_at FROM visitors"
			   " WHERE id = $1",
	[PG_VISITOR_BY_CONTACT] = "SELECT id, contact_id, created_at, last_seen_at FROM visitors"
				  " WHERE contact_id = $1 ORDER BY id",
	[PG_VISITOR_ANSWER_APPEND] = "INSERT INTO visitor_answers(seq, visitor_id, purpose, action,"
				     " at, banner_version, notice_version, notice_sha256, lang, page,"
				     " signal, ua_class) SELECT coalesce(max(seq), 0) + 1, $1, $2, $3,"
				     " $4::bigint, $5, $6::bigint, $7, $8, $9, $10, $11"
				     " FROM visitor_answers RETURNING seq",
	[PG_VISITOR_ANSWER_EACH] = "SELECT seq, visitor_id, purpose, action, at, banner_version,"
				   " notice_version, notice_sha256, lang, page, signal, ua_class"
				   " FROM visitor_answers WHERE visitor_id = $1 ORDER BY seq",
	[PG_VISITOR_PURGE] = "DELETE FROM visitors WHERE contact_id IS NULL"
			     " AND last_seen_at < $1::bigint",
	[PG_TRACK_PUT] = "INSERT INTO track_events(" PG_TRACK_COLS ") VALUES($1, $2, $3, $4, $5,"
			 " $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
	[PG_TRACK_EACH_CONTACT] = "SELECT " PG_TRACK_COLS " FROM track_events"
				  " WHERE contact_id = $1 ORDER BY at, id",
	[PG_TRACK_EACH_VISITOR] = "SELECT " PG_TRACK_COLS " FROM track_events"
				  " WHERE visitor_id = $1 AND visitor_id <> '' ORDER BY at, id",
	[PG_TRACK_IP_SET] = "UPDATE track_events SET ip = $2, company = $3 WHERE id = $1",
	[PG_TRACK_FORGET_EVENTS] = "DELETE FROM track_events WHERE contact_id = $1",
	[PG_TRACK_FORGET_SCORE] = "DELETE FROM scores WHERE contact_id = $1",
	[PG_TRACK_PURGE] = "DELETE FROM track_events WHERE at < $1::bigint",
	[PG_COMPANY_CLEAR] = "DELETE FROM company_ranges",
	[PG_COMPANY_PUT] = "INSERT INTO company_ranges(start_key, end_key, name) VALUES($1, $2, $3)"
			   " ON CONFLICT(start_key, end_key) DO UPDATE SET name = excluded.name",
	/* the narrowest range: the latest start, then the earliest end */
	[PG_COMPANY_FIND] = "SELECT name FROM company_ranges WHERE start_key <= $1"
			    " AND end_key >= $1 ORDER BY start_key DESC, end_key LIMIT 1",
	[PG_SCORE_PUT] = "INSERT INTO scores(contact_id, score, computed_at, nevents, last_at)"
			 " VALUES($1, $2, $3, $4, $5) ON CONFLICT(contact_id) DO UPDATE SET"
			 " score = excluded.score, computed_at = excluded.computed_at,"
			 " nevents = excluded.nevents, last_at = excluded.last_at",
	[PG_SCORE_GET] = "SELECT score, computed_at, nevents, last_at FROM scores"
			 " WHERE contact_id = $1",
	/* contact_delete: the events of the visitors tied to the contact (sqlite.c) */
	[PG_TRACK_DELETE_VISITORS] = "DELETE FROM track_events WHERE visitor_id IN"
				     " (SELECT id FROM visitors WHERE contact_id = $1)",
	/* the consent sweep of the retention purge (helper fixsec16) */
	[PG_SCORE_EACH] = "SELECT contact_id, score, computed_at, nevents, last_at FROM scores"
			  " ORDER BY contact_id",
	[PG_TRACK_SWEEP_EACH] = "SELECT " PG_TRACK_COLS " FROM track_events"
				" WHERE ip <> '' OR company <> '' OR contact_id IS NOT NULL"
				" ORDER BY at, id",
	[PG_TRACK_COUNT_VISITOR] = "SELECT count(*) FROM track_events"
				   " WHERE visitor_id = $1 AND at >= $2::bigint",
	[PG_LEASE_LIVE] = "SELECT count(*) FROM leases WHERE until > $1::bigint",
	[PG_DATAKEY_REPLACE] = "UPDATE contact_keys SET wrapped = $2 WHERE contact_id = $1",
	[PG_REQUEST_RESEAL] = "UPDATE form_requests SET payload = $2 WHERE id = $1",
	[PG_DB_SIZE] = "SELECT pg_database_size(current_database())",
};

/* The tables a scrub vacuums: every one that may hold a row of a person (INDEX_CLEANUP ON:
 * also when VACUUM would skip the indexes for a few dead rows, as the keys are in them). */
#define PG_SCRUB_SQL                                                                      \
	"VACUUM (INDEX_CLEANUP ON) contacts, contact_keys, contact_fields, consent_state,"    \
	" suppressions, changes, idempotency, rectifications, form_requests, mail_outbox,"   \
	" consent_ledger, webhooks, leases, visitors, visitor_answers, track_events, scores,"    \
	" campaign_sends"

static const struct sk_store_methods pg_methods;

struct pg_store {
	struct sk_store base;
	PGconn *conn;
	char prepared[PG_NSTMT];
	char rows_prepared[PG_ROWS_TABLES];
	PGresult *keep; /* the result the last read's pointers point into (contract 5) */
	int wtx;        /* a write transaction of ours is open */
	int tx;         /* a transaction of ours (any) is open: a lost connection is not healed */
	unsigned ncursor; /* cursors declared so far: each iteration names its own */
};

/* Bound parameters: texts in text format, integers as decimal text, byte strings (and
 * texts of a known length) in binary format, a NULL pointer as SQL NULL. */
struct pp {
	int n;
	const char *v[PG_MAXP];
	int len[PG_MAXP];
	int fmt[PG_MAXP];
	char num[PG_MAXP][24];
};

static void pp_text(struct pp *p, const char *s)
{
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

static void pp_int(struct pp *p, int64_t x)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)x);
	pp_text(p, p->num[p->n]);
}

/* Binary: a bytea's bytes, or a text's (the binary form of text is its bytes). */
static void pp_bin(struct pp *p, const void *b, size_t n)
{
	p->v[p->n] = b;
	p->len[p->n] = (int)n;
	p->fmt[p->n++] = 1;
}

/* SQLSTATE to SK_ERR_*. A taken key only reaches here from a statement without ON
 * CONFLICT (a unique index the caller did not expect to meet). */
static int pg_code(PGconn *c, const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(c) == CONNECTION_BAD || !st)
		return SK_ERR_STORAGE;
	if (strcmp(st, "23505") == 0)
		return SK_ERR_EXISTS;
	if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "55P03") == 0 ||
	    strcmp(st, "57014") == 0)
		return SK_ERR_BUSY;
	if (strcmp(st, "54000") == 0 || strcmp(st, "22001") == 0)
		return SK_ERR_TOO_LARGE;
	if (strcmp(st, "53200") == 0)
		return SK_ERR_NOMEM;
	return SK_ERR_STORAGE;
}

/* 0 when r is a success (and keeps it), else the code (r cleared). With SK_PG_DEBUG set the
 * server's message goes to stderr: it may quote values, so never in production. */
static int pg_check(struct pg_store *q, PGresult *r)
{
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
		return 0;
	/* no result at all: libpq could not send (the connection is gone) or ran out of memory */
	int rc = r ? pg_code(q->conn, r)
		   : PQstatus(q->conn) == CONNECTION_BAD ? SK_ERR_STORAGE : SK_ERR_NOMEM;
	if (getenv("SK_PG_DEBUG"))
		fprintf(stderr, "pg: %s", PQerrorMessage(q->conn));
	PQclear(r);
	return rc;
}

/* A connection lost (the server restarted, a network cut) is opened again before the next
 * call that runs outside a transaction of ours, with nothing prepared; inside one the calls
 * fail (STORAGE) until the caller rolls back, which is what heals it: the transaction's
 * earlier statements are gone with the old connection, and the rest must not commit alone. */
static int pg_heal(struct pg_store *q)
{
	if (PQstatus(q->conn) != CONNECTION_BAD)
		return 0;
	if (q->tx)
		return SK_ERR_STORAGE;
	PQreset(q->conn);
	if (PQstatus(q->conn) != CONNECTION_OK)
		return SK_ERR_STORAGE;
	memset(q->prepared, 0, sizeof(q->prepared));
	memset(q->rows_prepared, 0, sizeof(q->rows_prepared));
	PGresult *r = PQexec(q->conn, PG_SESSION_SQL);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	return ok ? 0 : SK_ERR_STORAGE;
}

/* pg_check for a result nobody reads: cleared either way. */
static int pg_done(struct pg_store *q, PGresult *r)
{
	int rc = pg_check(q, r);
	if (rc == 0)
		PQclear(r);
	return rc;
}

/* Runs statement i (prepared on first use) with p, results in binary; *out the result. */
static int pg_run(struct pg_store *q, enum pg_stmt i, const struct pp *p, PGresult **out)
{
	char name[16];
	int rc;
	snprintf(name, sizeof(name), "s%d", (int)i);
	*out = NULL;
	if ((rc = pg_heal(q)))
		return rc;
	if (!q->prepared[i]) {
		if ((rc = pg_done(q, PQprepare(q->conn, name, pg_sql[i], 0, NULL))))
			return rc;
		q->prepared[i] = 1;
	}
	PGresult *r = PQexecPrepared(q->conn, name, p ? p->n : 0, p ? p->v : NULL,
				     p ? p->len : NULL, p ? p->fmt : NULL, 1);
	if ((rc = pg_check(q, r)))
		return rc;
	*out = r;
	return 0;
}

/* A statement without rows; *changed (when asked) the rows it touched. */
static int pg_exec(struct pg_store *q, enum pg_stmt i, const struct pp *p, long *changed)
{
	PGresult *r;
	int rc = pg_run(q, i, p, &r);
	if (rc == 0 && changed)
		*changed = strtol(PQcmdTuples(r), NULL, 10); /* digits, or "" for none */
	PQclear(r);
	return rc;
}

/* Plain SQL without parameters (transaction control, SET, VACUUM). */
static int pg_simple(struct pg_store *q, const char *sql)
{
	return pg_done(q, PQexec(q->conn, sql));
}

/* Runs statement i and expects one row: 0 with *out holding it, NOT_FOUND, or an error. */
static int pg_row(struct pg_store *q, enum pg_stmt i, const struct pp *p, PGresult **out)
{
	int rc = pg_run(q, i, p, out);
	if (rc == 0 && PQntuples(*out) == 0) {
		PQclear(*out);
		*out = NULL;
		rc = SK_ERR_NOT_FOUND;
	}
	return rc;
}

/* ---- reading binary results ---- */

/* An integer column (int8, int4, int2 or bool, big-endian); NULL reads 0. */
static int64_t pg_int(const PGresult *r, int row, int c)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, c);
	int n = PQgetlength(r, row, c);
	uint64_t v = 0;
	if (PQgetisnull(r, row, c) || n < 1 || n > 8)
		return 0;
	for (int k = 0; k < n; k++)
		v = v << 8 | p[k];
	if (n < 8 && (p[0] & 0x80))
		v |= ~(uint64_t)0 << (8 * n);
	return (int64_t)v;
}

/* Copies a text column into its fixed field (contract 7): one that does not fit or holds a
 * NUL fails the read with CORRUPT naming where, never cut. Sets *rc only when still 0. */
static void pg_text(const PGresult *r, int row, int c, char *out, size_t outlen,
		    const char *where, int *rc)
{
	const char *t = PQgetvalue(r, row, c);
	size_t n = PQgetisnull(r, row, c) ? 0 : (size_t)PQgetlength(r, row, c);
	if (n >= outlen || (n && memchr(t, '\0', n))) {
		out[0] = '\0';
		if (*rc == 0) {
			sk__store_corrupt(where);
			*rc = SK_ERR_CORRUPT;
		}
		return;
	}
	memcpy(out, n ? t : "", n);
	out[n] = '\0';
}

/* Hashes of the wrong length are zero-filled, not refused: the audit reports the row. */
static void pg_hash(const PGresult *r, int row, int c, uint8_t out[SK_HASH_LEN])
{
	size_t n = PQgetisnull(r, row, c) ? 0 : (size_t)PQgetlength(r, row, c);
	memset(out, 0, SK_HASH_LEN);
	if (n)
		memcpy(out, PQgetvalue(r, row, c), n < SK_HASH_LEN ? n : SK_HASH_LEN);
}

/* A bytea column: its bytes (NULL for SQL NULL) and length. */
static const uint8_t *pg_blob(const PGresult *r, int row, int c, size_t *len)
{
	if (PQgetisnull(r, row, c)) {
		*len = 0;
		return NULL;
	}
	*len = (size_t)PQgetlength(r, row, c);
	return (const uint8_t *)PQgetvalue(r, row, c);
}

/* Keeps r as the result that the last read's pointers point into. */
static void pg_keep(struct pg_store *q, PGresult *r)
{
	PQclear(q->keep);
	q->keep = r;
}

/* ---- iterations ---- */

typedef int (*pg_row_fn)(const PGresult *r, int row, void *ctx);

/* Each row of statement i (or of sql, when i < 0) to fn, in order, until fn returns nonzero.
 * A result that cannot be large (small != 0, or a limit of at most a page) is read in one
 * round trip; any other goes through a cursor fetched PG_PAGE rows at a time, so that a
 * million rows never sit in memory at once. The cursor is WITH HOLD, so that it outlives
 * a commit or a begin that fn makes (contract 5 lets it call other methods); each iteration
 * names its own, so that fn may iterate too. */
static int pg_each(struct pg_store *q, int i, const char *sql, const struct pp *p, int small,
		   pg_row_fn fn, void *ctx)
{
	PGresult *r;
	int rc = pg_heal(q);
	if (rc)
		return rc;
	if (small) {
		if (i >= 0)
			rc = pg_run(q, (enum pg_stmt)i, p, &r);
		else
			rc = pg_check(q, r = PQexecParams(q->conn, sql, 0, NULL, NULL, NULL, NULL, 1));
		if (rc)
			r = NULL; /* cleared by pg_check */
		for (int k = 0; rc == 0 && k < PQntuples(r); k++)
			rc = fn(r, k, ctx);
		PQclear(r);
		return rc;
	}
	char name[32], cmd[64], decl[2048];
	snprintf(name, sizeof(name), "sk_c%u", ++q->ncursor);
	if (i >= 0)
		sql = pg_sql[i];
	if ((size_t)snprintf(decl, sizeof(decl), "DECLARE %s NO SCROLL CURSOR WITH HOLD FOR %s",
			     name, sql) >= sizeof(decl))
		return SK_ERR_USAGE; /* the longest statement here is far shorter */
	rc = pg_done(q, PQexecParams(q->conn, decl, p ? p->n : 0, NULL, p ? p->v : NULL,
				      p ? p->len : NULL, p ? p->fmt : NULL, 1));
	if (rc)
		return rc;
	snprintf(cmd, sizeof(cmd), "FETCH %d FROM %s", PG_PAGE, name);
	for (int more = 1; rc == 0 && more;) {
		if ((rc = pg_check(q, r = PQexecParams(q->conn, cmd, 0, NULL, NULL, NULL, NULL, 1))))
			break;
		more = PQntuples(r) == PG_PAGE;
		for (int k = 0; rc == 0 && k < PQntuples(r); k++)
			rc = fn(r, k, ctx);
		PQclear(r);
	}
	/* in a transaction that failed the cursor went with it; outside one it must be closed */
	if (PQtransactionStatus(q->conn) != PQTRANS_INERROR) {
		snprintf(cmd, sizeof(cmd), "CLOSE %s", name);
		int back = pg_simple(q, cmd);
		rc = rc ? rc : back;
	}
	return rc;
}

/* ---- records ---- */

static int pg_contact_row(const PGresult *r, int i, struct sk_contact_rec *out)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	pg_text(r, i, 0, out->id, sizeof(out->id), "contacts.id", &rc);
	pg_hash(r, i, 1, out->email_key);
	out->created_at = pg_int(r, i, 2);
	out->updated_at = pg_int(r, i, 3);
	return rc;
}

/* PG_STATE_COLS starting at column c. */
static int pg_state_row(const PGresult *r, int i, int c, struct sk_state_rec *out)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	pg_text(r, i, c, out->contact_id, sizeof(out->contact_id), "consent_state.contact_id", &rc);
	pg_text(r, i, c + 1, out->purpose, sizeof(out->purpose), "consent_state.purpose", &rc);
	pg_text(r, i, c + 2, out->status, sizeof(out->status), "consent_state.status", &rc);
	out->seq = pg_int(r, i, c + 3);
	pg_text(r, i, c + 4, out->event_id, sizeof(out->event_id), "consent_state.event_id", &rc);
	out->updated_at = pg_int(r, i, c + 5);
	out->valid_until = pg_int(r, i, c + 6);
	out->notice_version = (int)pg_int(r, i, c + 7);
	return rc;
}

static int pg_event_row(const PGresult *r, int i, struct sk_event_rec *ev)
{
	int rc = 0;
	memset(ev, 0, sizeof(*ev));
	ev->seq = pg_int(r, i, 0);
	pg_text(r, i, 1, ev->id, sizeof(ev->id), "consent_ledger.id", &rc);
	pg_text(r, i, 2, ev->contact_id, sizeof(ev->contact_id), "consent_ledger.contact_id", &rc);
	pg_text(r, i, 3, ev->purpose, sizeof(ev->purpose), "consent_ledger.purpose", &rc);
	pg_text(r, i, 4, ev->action, sizeof(ev->action), "consent_ledger.action", &rc);
	ev->occurred_at = pg_int(r, i, 5);
	ev->recorded_at = pg_int(r, i, 6);
	pg_text(r, i, 7, ev->method, sizeof(ev->method), "consent_ledger.method", &rc);
	pg_text(r, i, 8, ev->source, sizeof(ev->source), "consent_ledger.source", &rc);
	ev->notice_version = (int)pg_int(r, i, 9);
	pg_hash(r, i, 10, ev->notice_sha256);
	pg_text(r, i, 11, ev->lang, sizeof(ev->lang), "consent_ledger.lang", &rc);
	ev->valid_until = pg_int(r, i, 12);
	pg_text(r, i, 13, ev->actor, sizeof(ev->actor), "consent_ledger.actor", &rc);
	ev->flags = (int)pg_int(r, i, 14);
	ev->evidence = pg_blob(r, i, 15, &ev->evidence_len);
	pg_hash(r, i, 16, ev->prev_hash);
	pg_hash(r, i, 17, ev->hash);
	ev->hash_version = (int)pg_int(r, i, 18);
	return rc;
}

static int pg_change_row(const PGresult *r, int i, struct sk_change_rec *ch)
{
	int rc = 0;
	memset(ch, 0, sizeof(*ch));
	ch->seq = pg_int(r, i, 0);
	pg_text(r, i, 1, ch->type, sizeof(ch->type), "changes.type", &rc);
	pg_text(r, i, 2, ch->contact_id, sizeof(ch->contact_id), "changes.contact_id", &rc);
	pg_text(r, i, 3, ch->purpose, sizeof(ch->purpose), "changes.purpose", &rc);
	pg_text(r, i, 4, ch->status, sizeof(ch->status), "changes.status", &rc);
	ch->at = pg_int(r, i, 5);
	return rc;
}

static int pg_key_row(const PGresult *r, int i, struct sk_key_rec *k)
{
	int rc = 0;
	memset(k, 0, sizeof(*k));
	pg_text(r, i, 0, k->id, sizeof(k->id), "api_keys.id", &rc);
	pg_text(r, i, 1, k->name, sizeof(k->name), "api_keys.name", &rc);
	pg_text(r, i, 2, k->scopes, sizeof(k->scopes), "api_keys.scopes", &rc);
	pg_hash(r, i, 3, k->secret_hash);
	k->created_at = pg_int(r, i, 4);
	k->revoked_at = pg_int(r, i, 5);
	return rc;
}

static int pg_webhook_row(const PGresult *r, int i, struct sk_webhook_rec *w)
{
	int rc = 0;
	memset(w, 0, sizeof(*w));
	pg_text(r, i, 0, w->id, sizeof(w->id), "webhooks.id", &rc);
	pg_text(r, i, 1, w->name, sizeof(w->name), "webhooks.name", &rc);
	pg_text(r, i, 2, w->url, sizeof(w->url), "webhooks.url", &rc);
	pg_text(r, i, 3, w->events, sizeof(w->events), "webhooks.events", &rc);
	w->secret = pg_blob(r, i, 4, &w->secret_len);
	w->created_at = pg_int(r, i, 5);
	w->enabled = (int)pg_int(r, i, 6);
	w->cursor = pg_int(r, i, 7);
	w->failures = (int)pg_int(r, i, 8);
	w->first_failure_at = pg_int(r, i, 9);
	w->next_attempt_at = pg_int(r, i, 10);
	w->last_status = (int)pg_int(r, i, 11);
	pg_text(r, i, 12, w->last_error, sizeof(w->last_error), "webhooks.last_error", &rc);
	w->last_attempt_at = pg_int(r, i, 13);
	w->nfailed = pg_int(r, i, 14);
	w->last_failed_seq = pg_int(r, i, 15);
	return rc;
}

/* The callbacks of the iterations, behind one row function each. */
struct pg_cb {
	void *cb;
	void *arg;
};

static int pg_state_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_state_rec st;
	int rc = pg_state_row(r, i, 0, &st);
	return rc ? rc : ((sk_state_cb)c->cb)(c->arg, &st);
}

static int pg_event_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_event_rec ev;
	int rc = pg_event_row(r, i, &ev);
	return rc ? rc : ((sk_event_cb)c->cb)(c->arg, &ev);
}

static int pg_change_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_change_rec ch;
	int rc = pg_change_row(r, i, &ch);
	return rc ? rc : ((sk_change_cb)c->cb)(c->arg, &ch);
}

static int pg_key_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_key_rec k;
	int rc = pg_key_row(r, i, &k);
	return rc ? rc : ((sk_key_cb)c->cb)(c->arg, &k);
}

static int pg_contact_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_contact_rec ct;
	int rc = pg_contact_row(r, i, &ct);
	return rc ? rc : ((sk_contact_cb)c->cb)(c->arg, &ct);
}

static int pg_webhook_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_webhook_rec w;
	int rc = pg_webhook_row(r, i, &w);
	return rc ? rc : ((sk_webhook_cb)c->cb)(c->arg, &w);
}

static int pg_field_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	size_t len;
	const uint8_t *sealed = pg_blob(r, i, 1, &len);
	return ((sk_field_cb)c->cb)(c->arg, PQgetvalue(r, i, 0), sealed, len);
}

static int pg_rect_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	return ((sk_rectification_cb)c->cb)(c->arg, pg_int(r, i, 0), PQgetvalue(r, i, 1),
					    PQgetvalue(r, i, 2));
}

static int pg_given_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_state_rec st;
	uint8_t key[SK_HASH_LEN];
	int rc = pg_state_row(r, i, 0, &st);
	if (rc)
		return rc;
	pg_hash(r, i, 8, key);
	return ((sk_state_key_cb)c->cb)(c->arg, &st, key);
}

/* A limit argument: <= 0 is none (LIMIT NULL); small when it fits one page. */
static int pp_limit(struct pp *p, long limit)
{
	if (limit > 0)
		pp_int(p, limit);
	else
		pp_text(p, NULL);
	return limit > 0 && limit <= PG_PAGE;
}

/* ---- transactions ---- */

static int pg_idle(struct pg_store *q)
{
	return PQtransactionStatus(q->conn) == PQTRANS_IDLE;
}

/* Write: READ COMMITTED, so that each statement sees what the writer before committed (a
 * REPEATABLE READ snapshot would be taken before the lock wait), and the one advisory lock
 * that every writer of the database takes: ledger_last + 1 is then gap-free and commit
 * order is seq order (contract 4). Waiting longer than lock_timeout is BUSY (55P03). One
 * round trip: the statements go as one simple query. */
static int pg_begin(struct sk_store *s, int write)
{
	struct pg_store *q = (struct pg_store *)s;
	const char *sql = write == SK_TX_WRITE_LAZY
				  ? PG_BEGIN_WRITE "; SET LOCAL synchronous_commit = off"
				  : write ? PG_BEGIN_WRITE
					  : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
	q->wtx = 0;
	int rc = pg_heal(q);
	if (rc)
		return rc;
	if (!pg_idle(q))
		return SK_ERR_STORAGE; /* one is open already */
	rc = pg_simple(q, sql);
	if (rc && !pg_idle(q))
		(void)pg_simple(q, "ROLLBACK");
	q->wtx = write && rc == 0;
	q->tx = rc == 0;
	return rc;
}

/* A COMMIT of a transaction that had failed answers ROLLBACK: that is a failure. */
static int pg_commit(struct sk_store *s)
{
	struct pg_store *q = (struct pg_store *)s;
	q->wtx = q->tx = 0;
	if (pg_idle(q))
		return SK_ERR_STORAGE; /* nothing to commit */
	PGresult *r = PQexec(q->conn, "COMMIT");
	int rc = pg_check(q, r);
	if (rc == 0) {
		if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
			rc = SK_ERR_STORAGE;
		PQclear(r);
	}
	return rc;
}

static int pg_rollback(struct sk_store *s)
{
	struct pg_store *q = (struct pg_store *)s;
	q->wtx = q->tx = 0;
	if (pg_idle(q))
		return 0;
	if (PQstatus(q->conn) == CONNECTION_BAD)
		return 0; /* the transaction went with the connection; the next call opens anew */
	return pg_simple(q, "ROLLBACK");
}

/* A method that numbers rows max + 1 runs under the writer's lock: inside the caller's
 * write transaction, or (*own = 1) in one of its own. */
static int pg_lock_in(struct pg_store *q, int *own)
{
	*own = pg_idle(q);
	return *own ? pg_begin(&q->base, SK_TX_WRITE) : 0;
}

static int pg_lock_out(struct pg_store *q, int own, int rc)
{
	if (!own)
		return rc;
	if (rc) {
		(void)pg_rollback(&q->base);
		return rc;
	}
	return pg_commit(&q->base);
}

/* ---- methods ---- */

static int pg_meta_get(struct sk_store *s, const char *key, char *out, size_t outlen)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, key);
	int rc = pg_row(q, PG_META_GET, &p, &r);
	if (rc == 0)
		rc = sk_strlcpy(out, PQgetvalue(r, 0, 0), outlen);
	PQclear(r);
	return rc;
}

static int pg_meta_set(struct sk_store *s, const char *key, const char *value)
{
	struct pp p = {0};
	pp_text(&p, key);
	pp_text(&p, value);
	return pg_exec((struct pg_store *)s, PG_META_SET, &p, NULL);
}

static int pg_policy_put(struct sk_store *s, int64_t at, const char *text, size_t len,
			 int *outversion)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pp p = {0};
	PGresult *r;
	int own, rc;
	pp_int(&p, at);
	pp_bin(&p, text, len);
	if ((rc = pg_lock_in(q, &own)))
		return rc;
	rc = pg_row(q, PG_POLICY_PUT, &p, &r);
	if (rc == 0)
		*outversion = (int)pg_int(r, 0, 0);
	PQclear(r);
	return pg_lock_out(q, own, rc);
}

static int pg_policy_get(struct sk_store *s, char **outtext, size_t *outlen, int *outversion,
			 int64_t *outat)
{
	PGresult *r;
	int rc = pg_row((struct pg_store *)s, PG_POLICY_GET, NULL, &r);
	if (rc == 0) {
		size_t n = (size_t)PQgetlength(r, 0, 2);
		if (!(*outtext = sk_strndup(PQgetvalue(r, 0, 2), n))) {
			rc = SK_ERR_NOMEM;
		} else {
			*outlen = n;
			*outversion = (int)pg_int(r, 0, 0);
			*outat = pg_int(r, 0, 1);
		}
	}
	PQclear(r);
	return rc;
}

static int pg_notice_put(struct sk_store *s, const struct sk_notice_rec *n)
{
	struct pp p = {0};
	long changed = 0;
	pp_text(&p, n->purpose);
	pp_int(&p, n->version);
	pp_text(&p, n->lang);
	pp_text(&p, n->text);
	pp_bin(&p, n->sha256, SK_HASH_LEN);
	pp_int(&p, n->created_at);
	int rc = pg_exec((struct pg_store *)s, PG_NOTICE_PUT, &p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_EXISTS;
}

static int pg_notice_get(struct sk_store *s, const char *purpose, int version, const char *lang,
			 struct sk_notice_rec *out)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, purpose);
	pp_int(&p, version);
	pp_text(&p, lang);
	int rc = pg_row(q, PG_NOTICE_GET, &p, &r);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	pg_text(r, 0, 0, out->purpose, sizeof(out->purpose), "notices.purpose", &rc);
	out->version = (int)pg_int(r, 0, 1);
	pg_text(r, 0, 2, out->lang, sizeof(out->lang), "notices.lang", &rc);
	out->text = PQgetvalue(r, 0, 3); /* NUL-terminated by libpq */
	pg_hash(r, 0, 4, out->sha256);
	out->created_at = pg_int(r, 0, 5);
	pg_keep(q, r);
	return rc;
}

/* One integer of one row (count, max, exists). */
static int pg_int_of(struct pg_store *q, enum pg_stmt i, const struct pp *p, int64_t *out)
{
	PGresult *r;
	int rc = pg_row(q, i, p, &r);
	if (rc == 0)
		*out = pg_int(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_notice_latest(struct sk_store *s, const char *purpose, int *outversion)
{
	struct pp p = {0};
	int64_t v = 0;
	pp_text(&p, purpose);
	int rc = pg_int_of((struct pg_store *)s, PG_NOTICE_LATEST, &p, &v);
	if (rc == 0)
		*outversion = (int)v;
	return rc;
}

static int pg_contact_insert(struct sk_store *s, const struct sk_contact_rec *c)
{
	struct pp p = {0};
	long changed = 0;
	pp_text(&p, c->id);
	pp_bin(&p, c->email_key, SK_HASH_LEN);
	pp_int(&p, c->created_at);
	pp_int(&p, c->updated_at);
	int rc = pg_exec((struct pg_store *)s, PG_CONTACT_INSERT, &p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_EXISTS;
}

static int pg_contact_get(struct pg_store *q, enum pg_stmt i, const struct pp *p,
			  struct sk_contact_rec *out)
{
	PGresult *r;
	int rc = pg_row(q, i, p, &r);
	if (rc == 0)
		rc = pg_contact_row(r, 0, out);
	PQclear(r);
	return rc;
}

static int pg_contact_by_key(struct sk_store *s, const uint8_t *email_key,
			     struct sk_contact_rec *out)
{
	struct pp p = {0};
	pp_bin(&p, email_key, SK_HASH_LEN);
	return pg_contact_get((struct pg_store *)s, PG_CONTACT_BY_KEY, &p, out);
}

static int pg_contact_by_id(struct sk_store *s, const char *id, struct sk_contact_rec *out)
{
	struct pp p = {0};
	pp_text(&p, id);
	return pg_contact_get((struct pg_store *)s, PG_CONTACT_BY_ID, &p, out);
}

/* An update or delete that must find its row: NOT_FOUND when it touched none. */
static int pg_exec_found(struct pg_store *q, enum pg_stmt i, const struct pp *p)
{
	long changed = 0;
	int rc = pg_exec(q, i, p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_NOT_FOUND;
}

static int pg_contact_touch(struct sk_store *s, const char *id, int64_t at)
{
	struct pp p = {0};
	pp_text(&p, id);
	pp_int(&p, at);
	return pg_exec_found((struct pg_store *)s, PG_CONTACT_TOUCH, &p);
}

static int pg_datakey_put(struct sk_store *s, const char *id, const uint8_t *wrapped, size_t len)
{
	struct pp p = {0};
	pp_text(&p, id);
	pp_bin(&p, wrapped ? (const void *)wrapped : "", len);
	return pg_exec((struct pg_store *)s, PG_DATAKEY_PUT, &p, NULL);
}

static int pg_datakey_get(struct sk_store *s, const char *id, uint8_t *out, size_t cap,
			  size_t *outlen)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, id);
	int rc = pg_row((struct pg_store *)s, PG_DATAKEY_GET, &p, &r);
	if (rc == 0) {
		size_t n;
		const uint8_t *b = pg_blob(r, 0, 0, &n);
		*outlen = n;
		if (n > cap)
			rc = SK_ERR_TOO_LARGE;
		else if (n)
			memcpy(out, b, n);
	}
	PQclear(r);
	return rc;
}

static int pg_field_put(struct sk_store *s, const char *id, const char *name,
			const uint8_t *sealed, size_t len)
{
	struct pp p = {0};
	pp_text(&p, id);
	pp_text(&p, name);
	pp_bin(&p, sealed ? (const void *)sealed : "", len);
	return pg_exec((struct pg_store *)s, PG_FIELD_PUT, &p, NULL);
}

static int pg_field_each(struct sk_store *s, const char *id, sk_field_cb cb, void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_text(&p, id);
	return pg_each((struct pg_store *)s, PG_FIELD_EACH, NULL, &p, 1, pg_field_fn, &c);
}

static int pg_ledger_append(struct sk_store *s, const struct sk_event_rec *ev)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pp p = {0};
	long changed = 0;
	int own, rc;
	pp_int(&p, ev->seq);
	pp_text(&p, ev->id);
	pp_text(&p, ev->contact_id);
	pp_text(&p, ev->purpose);
	pp_text(&p, ev->action);
	pp_int(&p, ev->occurred_at);
	pp_int(&p, ev->recorded_at);
	pp_text(&p, ev->method);
	pp_text(&p, ev->source);
	pp_int(&p, ev->notice_version);
	pp_bin(&p, ev->notice_sha256, SK_HASH_LEN);
	pp_text(&p, ev->lang);
	pp_int(&p, ev->valid_until);
	pp_text(&p, ev->actor);
	pp_int(&p, ev->flags);
	pp_bin(&p, ev->evidence, ev->evidence_len);
	pp_bin(&p, ev->prev_hash, SK_HASH_LEN);
	pp_bin(&p, ev->hash, SK_HASH_LEN);
	pp_int(&p, ev->hash_version ? ev->hash_version : SK_LEDGER_HASH_CURRENT);
	if ((rc = pg_lock_in(q, &own)))
		return rc;
	rc = pg_exec(q, PG_LEDGER_APPEND, &p, &changed);
	if (rc == 0 && changed == 0)
		rc = SK_ERR_EXISTS;
	return pg_lock_out(q, own, rc);
}

static int pg_ledger_last(struct sk_store *s, int64_t *outseq, uint8_t *outhash)
{
	PGresult *r;
	int rc = pg_row((struct pg_store *)s, PG_LEDGER_LAST, NULL, &r);
	if (rc == 0) {
		*outseq = pg_int(r, 0, 0);
		pg_hash(r, 0, 1, outhash);
	} else if (rc == SK_ERR_NOT_FOUND) {
		*outseq = 0;
		memset(outhash, 0, SK_HASH_LEN);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

static int pg_ledger_each(struct sk_store *s, const char *contact_id, int64_t after,
			  sk_event_cb cb, void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_int(&p, after);
	if (contact_id)
		pp_text(&p, contact_id);
	return pg_each((struct pg_store *)s, contact_id ? PG_LEDGER_EACH_CONTACT : PG_LEDGER_EACH_ALL,
		       NULL, &p, contact_id != NULL, pg_event_fn, &c);
}

static int pg_state_put(struct sk_store *s, const struct sk_state_rec *st)
{
	struct pp p = {0};
	pp_text(&p, st->contact_id);
	pp_text(&p, st->purpose);
	pp_text(&p, st->status);
	pp_int(&p, st->seq);
	pp_text(&p, st->event_id);
	pp_int(&p, st->updated_at);
	pp_int(&p, st->valid_until);
	pp_int(&p, st->notice_version);
	return pg_exec((struct pg_store *)s, PG_STATE_PUT, &p, NULL);
}

static int pg_state_get(struct sk_store *s, const char *contact_id, const char *purpose,
			struct sk_state_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, contact_id);
	pp_text(&p, purpose);
	int rc = pg_row((struct pg_store *)s, PG_STATE_GET, &p, &r);
	if (rc == 0)
		rc = pg_state_row(r, 0, 0, out);
	PQclear(r);
	return rc;
}

static int pg_state_each(struct sk_store *s, const char *contact_id, sk_state_cb cb, void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	if (contact_id)
		pp_text(&p, contact_id);
	return pg_each((struct pg_store *)s, contact_id ? PG_STATE_EACH_CONTACT : PG_STATE_EACH_ALL,
		       NULL, &p, contact_id != NULL, pg_state_fn, &c);
}

static int pg_state_clear(struct sk_store *s)
{
	return pg_exec((struct pg_store *)s, PG_STATE_CLEAR, NULL, NULL);
}

static int pg_suppression_put(struct sk_store *s, const uint8_t *email_key, const char *reason,
			      int64_t at)
{
	struct pp p = {0};
	pp_bin(&p, email_key, SK_HASH_LEN);
	pp_text(&p, reason);
	pp_int(&p, at);
	return pg_exec((struct pg_store *)s, PG_SUPPRESSION_PUT, &p, NULL);
}

static int pg_gate_lookup(struct sk_store *s, const uint8_t *email_key, const char *purpose,
			  struct sk_gate_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	pp_bin(&p, email_key, SK_HASH_LEN);
	pp_text(&p, purpose);
	memset(out, 0, sizeof(*out));
	int rc = pg_row((struct pg_store *)s, PG_GATE_LOOKUP, &p, &r);
	if (rc == 0) {
		out->suppressed = !PQgetisnull(r, 0, 0);
		pg_text(r, 0, 0, out->suppress_reason, sizeof(out->suppress_reason),
			"suppressions.reason", &rc);
		out->found = !PQgetisnull(r, 0, 1);
		pg_text(r, 0, 1, out->contact_id, sizeof(out->contact_id), "contacts.id", &rc);
		out->has_state = !PQgetisnull(r, 0, 2);
		if (out->has_state && rc == 0)
			rc = pg_state_row(r, 0, 2, &out->state);
	}
	PQclear(r);
	return rc;
}

static int pg_change_append(struct sk_store *s, struct sk_change_rec *ch)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pp p = {0};
	int64_t seq = 0;
	int own, rc;
	pp_text(&p, ch->type);
	pp_text(&p, ch->contact_id);
	pp_text(&p, ch->purpose);
	pp_text(&p, ch->status);
	pp_int(&p, ch->at);
	if ((rc = pg_lock_in(q, &own)))
		return rc;
	rc = pg_int_of(q, PG_CHANGE_APPEND, &p, &seq);
	rc = pg_lock_out(q, own, rc);
	if (rc == 0)
		ch->seq = seq;
	return rc;
}

static int pg_change_each(struct sk_store *s, int64_t after, long limit, sk_change_cb cb,
			  void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_int(&p, after);
	int small = pp_limit(&p, limit);
	return pg_each((struct pg_store *)s, PG_CHANGE_EACH, NULL, &p, small, pg_change_fn, &c);
}

static int pg_ledger_get(struct sk_store *s, const char *event_id, sk_event_cb cb, void *arg)
{
	struct pp p = {0};
	struct sk_event_rec ev;
	PGresult *r;
	pp_text(&p, event_id);
	int rc = pg_row((struct pg_store *)s, PG_LEDGER_GET, &p, &r);
	if (rc == 0 && (rc = pg_event_row(r, 0, &ev)) == 0)
		rc = cb(arg, &ev);
	PQclear(r);
	return rc;
}

static int pg_key_put(struct sk_store *s, const struct sk_key_rec *k)
{
	struct pp p = {0};
	long changed = 0;
	pp_text(&p, k->id);
	pp_text(&p, k->name);
	pp_text(&p, k->scopes);
	pp_bin(&p, k->secret_hash, SK_HASH_LEN);
	pp_int(&p, k->created_at);
	pp_int(&p, k->revoked_at);
	int rc = pg_exec((struct pg_store *)s, PG_KEY_PUT, &p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_EXISTS;
}

static int pg_key_get(struct sk_store *s, const char *id, struct sk_key_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, id);
	int rc = pg_row((struct pg_store *)s, PG_KEY_GET, &p, &r);
	if (rc == 0)
		rc = pg_key_row(r, 0, out);
	PQclear(r);
	return rc;
}

/* API keys are few: one round trip. */
static int pg_key_each(struct sk_store *s, sk_key_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	return pg_each((struct pg_store *)s, PG_KEY_EACH, NULL, NULL, 1, pg_key_fn, &c);
}

static int pg_key_revoke(struct sk_store *s, const char *name, int64_t at)
{
	struct pp p = {0};
	pp_text(&p, name);
	pp_int(&p, at);
	return pg_exec_found((struct pg_store *)s, PG_KEY_REVOKE, &p);
}

static int pg_idem_get(struct sk_store *s, const char *key_id, const char *idem_key,
		       struct sk_idem_rec *out)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, key_id);
	pp_text(&p, idem_key);
	int rc = pg_row(q, PG_IDEM_GET, &p, &r);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	sk_strlcpy(out->key_id, key_id, sizeof(out->key_id));
	sk_strlcpy(out->idem_key, idem_key, sizeof(out->idem_key));
	pg_hash(r, 0, 0, out->request_hash);
	out->status = (int)pg_int(r, 0, 1);
	out->body = PQgetvalue(r, 0, 2);
	out->created_at = pg_int(r, 0, 3);
	pg_keep(q, r);
	return 0;
}

static int pg_idem_put(struct sk_store *s, const struct sk_idem_rec *rec)
{
	struct pp p = {0};
	long changed = 0;
	pp_text(&p, rec->key_id);
	pp_text(&p, rec->idem_key);
	pp_bin(&p, rec->request_hash, SK_HASH_LEN);
	pp_int(&p, rec->status);
	pp_text(&p, rec->body);
	pp_int(&p, rec->created_at);
	int rc = pg_exec((struct pg_store *)s, PG_IDEM_PUT, &p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_EXISTS;
}

static int pg_idem_purge(struct sk_store *s, int64_t before)
{
	struct pp p = {0};
	pp_int(&p, before);
	return pg_exec((struct pg_store *)s, PG_IDEM_PURGE, &p, NULL);
}

static int pg_contact_delete(struct sk_store *s, const char *id)
{
	struct pp p = {0};
	pp_text(&p, id);
	/* tracking events of its visitors (the attached ones go by the cascade) */
	int rc = pg_exec((struct pg_store *)s, PG_TRACK_DELETE_VISITORS, &p, NULL);
	return rc ? rc : pg_exec_found((struct pg_store *)s, PG_CONTACT_DELETE, &p);
}

/* VACUUM removes the rows deleted before it, from the table and its indexes, once no
 * snapshot that could still see them is open: another session holding one is BUSY at once
 * (core owes the scrub and retries). What VACUUM leaves (free space of pages, WAL,
 * backups) is in docs/internals/store.md, "Erasure on PostgreSQL". Outside a transaction
 * only (VACUUM cannot run in one). */
static int pg_scrub(struct sk_store *s)
{
	struct pg_store *q = (struct pg_store *)s;
	int64_t readers = 0;
	int rc;
	if (!pg_idle(q))
		return SK_ERR_STORAGE;
	if ((rc = pg_int_of(q, PG_SCRUB_READERS, NULL, &readers)))
		return rc;
	if (readers)
		return SK_ERR_BUSY;
	if ((rc = pg_simple(q, "SET lock_timeout = '" PG_SCRUB_LOCK_TIMEOUT "'")))
		return rc;
	rc = pg_simple(q, PG_SCRUB_SQL);
	int back = pg_simple(q, "SET lock_timeout = '" PG_LOCK_TIMEOUT "'");
	return rc ? rc : back;
}

static int pg_contact_each(struct sk_store *s, const char *after, long limit, sk_contact_cb cb,
			   void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_text(&p, after);
	int small = pp_limit(&p, limit);
	return pg_each((struct pg_store *)s, PG_CONTACT_EACH, NULL, &p, small, pg_contact_fn, &c);
}

static int pg_field_delete(struct sk_store *s, const char *id, const char *name)
{
	struct pp p = {0};
	pp_text(&p, id);
	pp_text(&p, name);
	return pg_exec((struct pg_store *)s, PG_FIELD_DELETE, &p, NULL);
}

static int pg_suppression_delete(struct sk_store *s, const uint8_t *email_key)
{
	struct pp p = {0};
	pp_bin(&p, email_key, SK_HASH_LEN);
	return pg_exec((struct pg_store *)s, PG_SUPPRESSION_DELETE, &p, NULL);
}

static int pg_rectification_put(struct sk_store *s, const char *id, int64_t at, const char *actor,
				const char *fields)
{
	struct pp p = {0};
	pp_text(&p, id);
	pp_int(&p, at);
	pp_text(&p, actor);
	pp_text(&p, fields);
	return pg_exec((struct pg_store *)s, PG_RECT_PUT, &p, NULL);
}

static int pg_rectification_each(struct sk_store *s, const char *id, sk_rectification_cb cb,
				 void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_text(&p, id);
	return pg_each((struct pg_store *)s, PG_RECT_EACH, NULL, &p, 1, pg_rect_fn, &c);
}

/* The delivery state of a webhook from parameter c on (PG_WEBHOOK_STATE's $2..$11). */
static void pg_webhook_state_params(struct pp *p, const struct sk_webhook_rec *w)
{
	pp_int(p, w->enabled);
	pp_int(p, w->cursor);
	pp_int(p, w->failures);
	pp_int(p, w->first_failure_at);
	pp_int(p, w->next_attempt_at);
	pp_int(p, w->last_status);
	pp_text(p, w->last_error);
	pp_int(p, w->last_attempt_at);
	pp_int(p, w->nfailed);
	pp_int(p, w->last_failed_seq);
}

static int pg_webhook_put(struct sk_store *s, const struct sk_webhook_rec *w)
{
	struct pp p = {0};
	long changed = 0;
	pp_text(&p, w->id);
	pp_text(&p, w->name);
	pp_text(&p, w->url);
	pp_text(&p, w->events);
	pp_bin(&p, w->secret ? (const void *)w->secret : "", w->secret_len);
	pp_int(&p, w->created_at);
	pg_webhook_state_params(&p, w);
	int rc = pg_exec((struct pg_store *)s, PG_WEBHOOK_PUT, &p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_EXISTS;
}

static int pg_webhook_get(struct sk_store *s, const char *id, struct sk_webhook_rec *out)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, id);
	int rc = pg_row(q, PG_WEBHOOK_GET, &p, &r);
	if (rc)
		return rc;
	rc = pg_webhook_row(r, 0, out);
	pg_keep(q, r);
	return rc;
}

/* Endpoints are few: one round trip. */
static int pg_webhook_each(struct sk_store *s, sk_webhook_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	return pg_each((struct pg_store *)s, PG_WEBHOOK_EACH, NULL, NULL, 1, pg_webhook_fn, &c);
}

static int pg_webhook_delete(struct sk_store *s, const char *id)
{
	struct pp p = {0};
	pp_text(&p, id);
	return pg_exec_found((struct pg_store *)s, PG_WEBHOOK_DELETE, &p);
}

static int pg_webhook_state(struct sk_store *s, const struct sk_webhook_rec *w)
{
	struct pp p = {0};
	pp_text(&p, w->id);
	pg_webhook_state_params(&p, w);
	return pg_exec((struct pg_store *)s, PG_WEBHOOK_STATE, &p, NULL);
}

static int pg_change_last(struct sk_store *s, int64_t *outseq)
{
	return pg_int_of((struct pg_store *)s, PG_CHANGE_LAST, NULL, outseq);
}

static int pg_request_put(struct sk_store *s, const struct sk_request_rec *rec)
{
	struct pp p = {0};
	long changed = 0;
	pp_text(&p, rec->id);
	pp_bin(&p, rec->email_key, SK_HASH_LEN);
	pp_text(&p, rec->purposes);
	pp_int(&p, rec->created_at);
	pp_int(&p, rec->expires_at);
	pp_bin(&p, rec->payload ? (const void *)rec->payload : "", rec->payload_len);
	int rc = pg_exec((struct pg_store *)s, PG_REQUEST_PUT, &p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_EXISTS;
}

static int pg_request_get(struct sk_store *s, const char *id, struct sk_request_rec *out)
{
	struct pg_store *q = (struct pg_store *)s;
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, id);
	int rc = pg_row(q, PG_REQUEST_GET, &p, &r);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	pg_text(r, 0, 0, out->id, sizeof(out->id), "form_requests.id", &rc);
	pg_hash(r, 0, 1, out->email_key);
	pg_text(r, 0, 2, out->purposes, sizeof(out->purposes), "form_requests.purposes", &rc);
	out->created_at = pg_int(r, 0, 3);
	out->expires_at = pg_int(r, 0, 4);
	out->payload = pg_blob(r, 0, 5, &out->payload_len);
	if (!out->payload_len)
		out->payload = NULL;
	pg_keep(q, r);
	return rc;
}

static int pg_request_delete(struct sk_store *s, const char *id)
{
	struct pp p = {0};
	pp_text(&p, id);
	return pg_exec((struct pg_store *)s, PG_REQUEST_DELETE, &p, NULL);
}

static int pg_request_delete_key(struct sk_store *s, const uint8_t *email_key)
{
	struct pp p = {0};
	pp_bin(&p, email_key, SK_HASH_LEN);
	return pg_exec((struct pg_store *)s, PG_REQUEST_DELETE_KEY, &p, NULL);
}

static int pg_request_expire(struct sk_store *s, int64_t now, long *outn)
{
	struct pp p = {0};
	long n = 0;
	pp_int(&p, now);
	int rc = pg_exec((struct pg_store *)s, PG_REQUEST_EXPIRE, &p, &n);
	if (rc == 0)
		*outn = n;
	return rc;
}

static int pg_request_pending(struct sk_store *s, const uint8_t *email_key, const char *purpose,
			      int64_t now, int *out)
{
	struct pp p = {0};
	int64_t v = 0;
	pp_bin(&p, email_key, SK_HASH_LEN);
	pp_text(&p, purpose);
	pp_int(&p, now);
	int rc = pg_int_of((struct pg_store *)s, PG_REQUEST_PENDING, &p, &v);
	if (rc == 0)
		*out = v != 0;
	return rc;
}

static int pg_outbox_put(struct sk_store *s, const struct sk_outbox_rec *m)
{
	struct pp p = {0};
	long changed = 0;
	pp_text(&p, m->id);
	pp_bin(&p, m->email_key, SK_HASH_LEN);
	pp_text(&p, m->kind);
	pp_text(&p, m->ref);
	pp_int(&p, m->created_at);
	pp_int(&p, m->next_attempt_at);
	pp_int(&p, m->attempts);
	pp_int(&p, m->sent_at);
	pp_int(&p, m->failed_at);
	pp_text(&p, m->last_error);
	int rc = pg_exec((struct pg_store *)s, PG_OUTBOX_PUT, &p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_EXISTS;
}

static int pg_outbox_next(struct sk_store *s, int64_t now, struct sk_outbox_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	pp_int(&p, now);
	int rc = pg_row((struct pg_store *)s, PG_OUTBOX_NEXT, &p, &r);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	pg_text(r, 0, 0, out->id, sizeof(out->id), "mail_outbox.id", &rc);
	pg_hash(r, 0, 1, out->email_key);
	pg_text(r, 0, 2, out->kind, sizeof(out->kind), "mail_outbox.kind", &rc);
	pg_text(r, 0, 3, out->ref, sizeof(out->ref), "mail_outbox.ref", &rc);
	out->created_at = pg_int(r, 0, 4);
	out->next_attempt_at = pg_int(r, 0, 5);
	out->attempts = (int)pg_int(r, 0, 6);
	out->sent_at = pg_int(r, 0, 7);
	out->failed_at = pg_int(r, 0, 8);
	pg_text(r, 0, 9, out->last_error, sizeof(out->last_error), "mail_outbox.last_error", &rc);
	PQclear(r);
	return rc;
}

static int pg_outbox_state(struct sk_store *s, const struct sk_outbox_rec *m)
{
	struct pp p = {0};
	pp_text(&p, m->id);
	pp_int(&p, m->next_attempt_at);
	pp_int(&p, m->attempts);
	pp_int(&p, m->sent_at);
	pp_int(&p, m->failed_at);
	pp_text(&p, m->last_error);
	return pg_exec((struct pg_store *)s, PG_OUTBOX_STATE, &p, NULL);
}

static int pg_outbox_count(struct sk_store *s, const uint8_t *email_key, int64_t since,
			   long *outn)
{
	struct pp p = {0};
	int64_t n = 0;
	pp_bin(&p, email_key, SK_HASH_LEN);
	pp_int(&p, since);
	int rc = pg_int_of((struct pg_store *)s, PG_OUTBOX_COUNT, &p, &n);
	if (rc == 0)
		*outn = (long)n;
	return rc;
}

static int pg_outbox_purge(struct sk_store *s, int64_t before)
{
	struct pp p = {0};
	pp_int(&p, before);
	return pg_exec((struct pg_store *)s, PG_OUTBOX_PURGE, &p, NULL);
}

static int pg_contact_rekey(struct sk_store *s, const char *id, const uint8_t *email_key)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, id);
	pp_bin(&p, email_key, SK_HASH_LEN);
	int rc = pg_row((struct pg_store *)s, PG_CONTACT_REKEY, &p, &r);
	if (rc == 0)
		rc = pg_int(r, 0, 0) ? SK_ERR_EXISTS : pg_int(r, 0, 1) ? 0 : SK_ERR_NOT_FOUND;
	PQclear(r);
	return rc;
}

static int pg_count_purpose(struct sk_store *s, enum pg_stmt i, const char *purpose, int64_t now,
			    int64_t *outcount)
{
	struct pp p = {0};
	pp_text(&p, purpose);
	pp_int(&p, now);
	return pg_int_of((struct pg_store *)s, i, &p, outcount);
}

static int pg_state_count_live(struct sk_store *s, const char *purpose, int64_t now,
			       int64_t *outcount)
{
	return pg_count_purpose(s, PG_STATE_COUNT_LIVE, purpose, now, outcount);
}

static int pg_request_count(struct sk_store *s, const char *purpose, int64_t now,
			    int64_t *outcount)
{
	return pg_count_purpose(s, PG_REQUEST_COUNT, purpose, now, outcount);
}

/* Nothing to do: the server writes its WAL and checkpoints on its own processes, never on
 * a samtycke thread, and a connection's memory does not grow with the size of the data. */
static int pg_bulk(struct sk_store *s, int on)
{
	if (!pg_idle((struct pg_store *)s))
		return SK_ERR_USAGE; /* only between transactions, as on SQLite */
	return on == SK_BULK_OFF || on == SK_BULK_IMPORT || on == SK_BULK_CHECKPOINT ? 0
										      : SK_ERR_USAGE;
}

static int pg_state_pending_each(struct sk_store *s, int64_t before, sk_state_cb cb, void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_int(&p, before);
	return pg_each((struct pg_store *)s, PG_STATE_PENDING_EACH, NULL, &p, 0, pg_state_fn, &c);
}

static int pg_state_given_each(struct sk_store *s, const char *purpose, const char *after,
			       long limit, sk_state_key_cb cb, void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_text(&p, purpose);
	pp_text(&p, after);
	int small = pp_limit(&p, limit);
	return pg_each((struct pg_store *)s, PG_STATE_GIVEN_EACH, NULL, &p, small, pg_given_fn, &c);
}

static int pg_ledger_each_by_contact(struct sk_store *s, sk_event_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	return pg_each((struct pg_store *)s, PG_LEDGER_BY_CONTACT, NULL, NULL, 0, pg_event_fn, &c);
}

static int pg_state_page(struct sk_store *s, const char *after_contact, const char *after_purpose,
			 long limit, sk_state_cb cb, void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_text(&p, after_contact);
	pp_text(&p, after_purpose);
	int small = pp_limit(&p, limit);
	return pg_each((struct pg_store *)s, PG_STATE_PAGE, NULL, &p, small, pg_state_fn, &c);
}

/* Nothing to bound: the rows a connection reads are in its last result only (freed at the
 * next read) or in one page of an iteration; the server's own caches are its business. */
static int pg_bound_memory(struct sk_store *s)
{
	(void)s;
	return 0;
}

static int pg_savepoint(struct sk_store *s, int op)
{
	static const char *const sql[3] = {"SAVEPOINT sk_job", "RELEASE sk_job",
					   "ROLLBACK TO sk_job"};
	struct pg_store *q = (struct pg_store *)s;
	if (op < SK_SAVEPOINT_SET || op > SK_SAVEPOINT_UNDO)
		return SK_ERR_USAGE;
	if (!q->wtx || pg_idle(q))
		return SK_ERR_STORAGE; /* no write transaction of ours is open */
	if (op == SK_SAVEPOINT_UNDO) {
		int rc = pg_simple(q, sql[2]); /* ROLLBACK TO keeps the savepoint: release it too */
		return rc ? rc : pg_simple(q, sql[SK_SAVEPOINT_RELEASE]);
	}
	return pg_simple(q, sql[op]);
}

/* ---- moving a store (samtycke migrate) ---- */

struct pg_rows_ctx {
	sk_row_cb cb;
	void *arg;
	const struct sk_store_table *t;
};

static int pg_rows_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_rows_ctx *c = ctx;
	struct sk_value row[32];
	for (int k = 0; k < c->t->ncols; k++) {
		struct sk_value *v = &row[k];
		memset(v, 0, sizeof(*v));
		if (PQgetisnull(r, i, k)) {
			v->type = SK_VALUE_NULL;
			continue;
		}
		switch (PQftype(r, k)) {
		case 20: /* int8 */
		case 23: /* int4 */
		case 21: /* int2 */
			v->type = SK_VALUE_INT;
			v->i = pg_int(r, i, k);
			break;
		case 25: /* text */
			v->type = SK_VALUE_TEXT;
			v->p = PQgetvalue(r, i, k);
			v->len = (size_t)PQgetlength(r, i, k);
			break;
		case 17: /* bytea */
			v->type = SK_VALUE_BLOB;
			v->p = PQgetvalue(r, i, k);
			v->len = (size_t)PQgetlength(r, i, k);
			break;
		default: /* a type samtycke never made */
			sk__store_corrupt(c->t->name);
			return SK_ERR_CORRUPT;
		}
	}
	return c->cb(c->arg, row, c->t->ncols);
}

/* Every row of a table of sk_store_tables, through a cursor, by the table's constant SELECT
 * (sk__store_rows_sql); a name that is no table's is refused. */
static int pg_rows_each(struct sk_store *s, const char *table, sk_row_cb cb, void *arg)
{
	const struct sk_store_table *t = sk_store_table(table);
	struct pg_rows_ctx c = {cb, arg, t};
	if (!t || t->ncols > 32)
		return SK_ERR_USAGE;
	return pg_each((struct pg_store *)s, -1, sk__store_rows_sql[t - sk_store_tables].select,
		       NULL, 0, pg_rows_fn, &c);
}

/* Inserts one row through the table's INSERT (prepared once per handle as "r<index>");
 * EXISTS on a taken key, without aborting the caller's transaction. */
static int pg_rows_put(struct sk_store *s, const char *table, const struct sk_value *row)
{
	const struct sk_store_table *t = sk_store_table(table);
	struct pg_store *q = (struct pg_store *)s;
	int ti = t ? (int)(t - sk_store_tables) : -1;
	char name[16];
	int rc;

	if (ti < 0 || ti >= PG_ROWS_TABLES || t->ncols > PG_MAXP)
		return SK_ERR_USAGE;
	if ((rc = pg_heal(q)))
		return rc;
	snprintf(name, sizeof(name), "r%d", ti);
	if (!q->rows_prepared[ti]) {
		rc = pg_done(q, PQprepare(q->conn, name, sk__store_rows_sql[ti].insert_pg, 0, NULL));
		if (rc)
			return rc;
		q->rows_prepared[ti] = 1;
	}
	struct pp p = {0};
	for (int i = 0; i < t->ncols; i++) {
		const struct sk_value *v = &row[i];
		switch (v->type) {
		case SK_VALUE_INT:
			pp_int(&p, v->i);
			break;
		case SK_VALUE_TEXT:
		case SK_VALUE_BLOB:
			pp_bin(&p, v->p ? v->p : "", v->len);
			break;
		case SK_VALUE_NULL:
			pp_text(&p, NULL);
			break;
		default:
			return SK_ERR_USAGE;
		}
	}
	PGresult *r = PQexecPrepared(q->conn, name, p.n, p.v, p.len, p.fmt, 1);
	if ((rc = pg_check(q, r)))
		return rc;
	rc = strtol(PQcmdTuples(r), NULL, 10) ? 0 : SK_ERR_EXISTS;
	PQclear(r);
	return rc;
}

/* ---- leases ---- */

static int pg_lease_take(struct sk_store *s, const char *name, const char *holder,
			 int64_t now_ms, int64_t until_ms, int *got)
{
	struct pp p = {0};
	long changed = 0;
	*got = 0;
	pp_text(&p, name);
	pp_text(&p, holder);
	pp_int(&p, now_ms);
	pp_int(&p, until_ms);
	int rc = pg_exec((struct pg_store *)s, PG_LEASE_TAKE, &p, &changed);
	if (rc == 0)
		*got = changed > 0;
	return rc;
}

static int pg_lease_release(struct sk_store *s, const char *name, const char *holder)
{
	struct pp p = {0};
	pp_text(&p, name);
	pp_text(&p, holder);
	return pg_exec((struct pg_store *)s, PG_LEASE_RELEASE, &p, NULL);
}

/* The holder is cut to SK_LEASE_HOLDER_MAX, as on SQLite (store.h). */
static int pg_lease_get(struct sk_store *s, const char *name, char *holder, int64_t *until_ms)
{
	struct pp p = {0};
	PGresult *r;
	holder[0] = '\0';
	*until_ms = 0;
	pp_text(&p, name);
	int rc = pg_row((struct pg_store *)s, PG_LEASE_GET, &p, &r);
	if (rc == 0) {
		sk_strlcpy(holder, PQgetvalue(r, 0, 0), SK_LEASE_HOLDER_MAX);
		*until_ms = pg_int(r, 0, 1);
	}
	PQclear(r);
	return rc;
}

/* ---- the staff console: users, sessions, the audit trail ---- */

static int pg_staff_row(const PGresult *r, int i, struct sk_staff_rec *u)
{
	int rc = 0;
	memset(u, 0, sizeof(*u));
	pg_text(r, i, 0, u->name, sizeof(u->name), "staff_users.name", &rc);
	pg_text(r, i, 1, u->role, sizeof(u->role), "staff_users.role", &rc);
	pg_text(r, i, 2, u->hash, sizeof(u->hash), "staff_users.hash", &rc);
	u->created_at = pg_int(r, i, 3);
	u->disabled = (int)pg_int(r, i, 4);
	u->failed = (int)pg_int(r, i, 5);
	u->locked_until = pg_int(r, i, 6);
	return rc;
}

static int pg_staff_put(struct sk_store *s, const struct sk_staff_rec *u)
{
	struct pp p = {0};
	long changed = 0;
	pp_text(&p, u->name);
	pp_text(&p, u->role);
	pp_text(&p, u->hash);
	pp_int(&p, u->created_at);
	pp_int(&p, u->disabled);
	pp_int(&p, u->failed);
	pp_int(&p, u->locked_until);
	int rc = pg_exec((struct pg_store *)s, PG_STAFF_PUT, &p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_EXISTS;
}

static int pg_staff_get(struct sk_store *s, const char *name, struct sk_staff_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, name);
	int rc = pg_row((struct pg_store *)s, PG_STAFF_GET, &p, &r);
	if (rc == 0)
		rc = pg_staff_row(r, 0, out);
	PQclear(r);
	return rc;
}

static int pg_staff_update(struct sk_store *s, const struct sk_staff_rec *u)
{
	struct pp p = {0};
	pp_text(&p, u->name);
	pp_text(&p, u->role);
	pp_text(&p, u->hash);
	pp_int(&p, u->disabled);
	pp_int(&p, u->failed);
	pp_int(&p, u->locked_until);
	return pg_exec_found((struct pg_store *)s, PG_STAFF_UPDATE, &p);
}

static int pg_staff_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_staff_rec u;
	int rc = pg_staff_row(r, i, &u);
	return rc ? rc : ((sk_staff_cb)c->cb)(c->arg, &u);
}

/* Staff users are few: one round trip. */
static int pg_staff_each(struct sk_store *s, sk_staff_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	return pg_each((struct pg_store *)s, PG_STAFF_EACH, NULL, NULL, 1, pg_staff_fn, &c);
}

static int pg_session_put(struct sk_store *s, const struct sk_session_rec *ss)
{
	struct pp p = {0};
	pp_text(&p, ss->id);
	pp_bin(&p, ss->secret_hash, SK_HASH_LEN);
	pp_text(&p, ss->staff);
	pp_text(&p, ss->key_id);
	pp_text(&p, ss->who);
	pp_text(&p, ss->role);
	pp_int(&p, ss->created_at);
	pp_int(&p, ss->last_seen);
	pp_int(&p, ss->expires_at);
	return pg_exec((struct pg_store *)s, PG_SESSION_PUT, &p, NULL);
}

static int pg_session_get(struct sk_store *s, const char *id, struct sk_session_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, id);
	int rc = pg_row((struct pg_store *)s, PG_SESSION_GET, &p, &r);
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		pg_text(r, 0, 0, out->id, sizeof(out->id), "staff_sessions.id", &rc);
		pg_hash(r, 0, 1, out->secret_hash);
		pg_text(r, 0, 2, out->staff, sizeof(out->staff), "staff_sessions.staff", &rc);
		pg_text(r, 0, 3, out->key_id, sizeof(out->key_id), "staff_sessions.key_id", &rc);
		pg_text(r, 0, 4, out->who, sizeof(out->who), "staff_sessions.who", &rc);
		pg_text(r, 0, 5, out->role, sizeof(out->role), "staff_sessions.role", &rc);
		out->created_at = pg_int(r, 0, 6);
		out->last_seen = pg_int(r, 0, 7);
		out->expires_at = pg_int(r, 0, 8);
	}
	PQclear(r);
	return rc;
}

static int pg_session_touch(struct sk_store *s, const char *id, int64_t at)
{
	struct pp p = {0};
	pp_text(&p, id);
	pp_int(&p, at);
	return pg_exec((struct pg_store *)s, PG_SESSION_TOUCH, &p, NULL);
}

static int pg_session_delete(struct sk_store *s, const char *id)
{
	struct pp p = {0};
	pp_text(&p, id);
	return pg_exec((struct pg_store *)s, PG_SESSION_DELETE, &p, NULL);
}

static int pg_session_purge(struct sk_store *s, int64_t now)
{
	struct pp p = {0};
	pp_int(&p, now);
	return pg_exec((struct pg_store *)s, PG_SESSION_PURGE, &p, NULL);
}

static int pg_staff_audit_append(struct sk_store *s, struct sk_staff_audit_rec *a)
{
	struct pp p = {0};
	PGresult *r;
	pp_int(&p, a->at);
	pp_text(&p, a->who);
	pp_text(&p, a->role);
	pp_text(&p, a->action);
	pp_text(&p, a->target);
	pp_text(&p, a->detail);
	int rc = pg_row((struct pg_store *)s, PG_AUDIT_APPEND, &p, &r);
	if (rc == 0)
		a->seq = pg_int(r, 0, 0);
	PQclear(r);
	return rc == SK_ERR_NOT_FOUND ? SK_ERR_STORAGE : rc;
}

static int pg_audit_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_staff_audit_rec a;
	int rc = 0;
	memset(&a, 0, sizeof(a));
	a.seq = pg_int(r, i, 0);
	a.at = pg_int(r, i, 1);
	pg_text(r, i, 2, a.who, sizeof(a.who), "staff_audit.who", &rc);
	pg_text(r, i, 3, a.role, sizeof(a.role), "staff_audit.role", &rc);
	pg_text(r, i, 4, a.action, sizeof(a.action), "staff_audit.action", &rc);
	pg_text(r, i, 5, a.target, sizeof(a.target), "staff_audit.target", &rc);
	pg_text(r, i, 6, a.detail, sizeof(a.detail), "staff_audit.detail", &rc);
	return rc ? rc : ((sk_staff_audit_cb)c->cb)(c->arg, &a);
}

static int pg_staff_audit_each(struct sk_store *s, int64_t before, long limit,
			       sk_staff_audit_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	struct pp p = {0};
	pp_int(&p, before > 0 ? before : INT64_MAX);
	pp_int(&p, limit > 0 ? limit : INT64_MAX);
	return pg_each((struct pg_store *)s, PG_AUDIT_EACH, NULL, &p, limit > 0 && limit <= PG_PAGE,
		       pg_audit_fn, &c);
}

static int pg_webhook_secret_set(struct sk_store *s, const char *id, const uint8_t *secret,
				 size_t secret_len)
{
	struct pp p = {0};
	pp_text(&p, id);
	pp_bin(&p, secret, secret_len);
	return pg_exec_found((struct pg_store *)s, PG_WEBHOOK_SECRET_SET, &p);
}

/* ---- the console's overview: aggregates (store.h) ---- */

/* How a tally's columns read: na texts (into a, then b; wa and wb name them for a CORRUPT),
 * then nint integers into the fields slot names (0: x, 1: y, 2: min), then the count. */
struct pg_tally {
	int na;
	const char *wa, *wb;
	int nint;
	const int *slot;
	sk_tally_cb cb;
	void *arg;
};

static int pg_tally_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_tally *tl = ctx;
	struct sk_tally_rec t;
	int rc = 0;
	memset(&t, 0, sizeof(t));
	if (tl->na > 0)
		pg_text(r, i, 0, t.a, sizeof(t.a), tl->wa, &rc);
	if (tl->na > 1)
		pg_text(r, i, 1, t.b, sizeof(t.b), tl->wb, &rc);
	for (int k = 0; k < tl->nint; k++) {
		int64_t *dst[] = {&t.x, &t.y, &t.min};
		*dst[tl->slot[k]] = pg_int(r, i, tl->na + k);
	}
	t.count = pg_int(r, i, tl->na + tl->nint);
	return rc ? rc : tl->cb(tl->arg, &t);
}

static int pg_state_tally(struct sk_store *s, int64_t now, sk_tally_cb cb, void *arg)
{
	static const int slot[] = {0, 1};
	struct pp p = {0};
	struct pg_tally tl = {2, "consent_state.purpose", "consent_state.status", 2, slot, cb, arg};
	pp_int(&p, now);
	return pg_each((struct pg_store *)s, PG_STATE_TALLY, NULL, &p, 1, pg_tally_fn, &tl);
}

static int pg_ledger_tally(struct sk_store *s, int64_t since, int64_t width, sk_tally_cb cb,
			   void *arg)
{
	static const int slot[] = {0, 1};
	struct pp p = {0};
	struct pg_tally tl = {1, "consent_ledger.action", NULL, 2, slot, cb, arg};
	if (width <= 0)
		return SK_ERR_USAGE;
	pp_int(&p, since);
	pp_int(&p, width);
	return pg_each((struct pg_store *)s, PG_LEDGER_TALLY, NULL, &p, 1, pg_tally_fn, &tl);
}

static int pg_suppression_tally(struct sk_store *s, sk_tally_cb cb, void *arg)
{
	struct pg_tally tl = {1, "suppressions.reason", NULL, 0, NULL, cb, arg};
	return pg_each((struct pg_store *)s, PG_SUPPRESSION_TALLY, NULL, NULL, 1, pg_tally_fn, &tl);
}

static int pg_outbox_tally(struct sk_store *s, sk_tally_cb cb, void *arg)
{
	static const int slot[] = {0, 1, 2};
	struct pg_tally tl = {0, NULL, NULL, 3, slot, cb, arg};
	return pg_each((struct pg_store *)s, PG_OUTBOX_TALLY, NULL, NULL, 1, pg_tally_fn, &tl);
}

static int pg_session_delete_staff(struct sk_store *s, const char *staff)
{
	struct pp p = {0};
	pp_text(&p, staff);
	return pg_exec((struct pg_store *)s, PG_SESSION_DELETE_STAFF, &p, NULL);
}

/* ---- campaigns ---- */

static int pg_campaign_put(struct sk_store *s, const struct sk_campaign_rec *c)
{
	struct pp p = {0};
	pp_text(&p, c->id);
	pp_text(&p, c->name);
	pp_text(&p, c->purpose);
	pp_text(&p, c->status);
	pp_int(&p, c->created_at);
	pp_int(&p, c->updated_at);
	pp_text(&p, c->spec ? c->spec : "{}");
	return pg_exec((struct pg_store *)s, PG_CAMPAIGN_PUT, &p, NULL);
}

static int pg_campaign_row(const PGresult *r, int i, struct sk_campaign_rec *out)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	pg_text(r, i, 0, out->id, sizeof(out->id), "campaigns.id", &rc);
	pg_text(r, i, 1, out->name, sizeof(out->name), "campaigns.name", &rc);
	pg_text(r, i, 2, out->purpose, sizeof(out->purpose), "campaigns.purpose", &rc);
	pg_text(r, i, 3, out->status, sizeof(out->status), "campaigns.status", &rc);
	out->created_at = pg_int(r, i, 4);
	out->updated_at = pg_int(r, i, 5);
	return rc;
}

static int pg_campaign_get(struct sk_store *s, const char *id, struct sk_campaign_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, id);
	int rc = pg_row((struct pg_store *)s, PG_CAMPAIGN_GET, &p, &r);
	if (rc)
		return rc;
	rc = pg_campaign_row(r, 0, out);
	if (rc == 0) {
		size_t n = PQgetisnull(r, 0, 6) ? 0 : (size_t)PQgetlength(r, 0, 6);
		if (!(out->spec = sk_malloc(n + 1)))
			rc = SK_ERR_NOMEM;
		else {
			memcpy(out->spec, PQgetvalue(r, 0, 6), n);
			out->spec[n] = '\0';
		}
	}
	PQclear(r);
	return rc;
}

static int pg_campaign_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_campaign_rec rec;
	int rc = pg_campaign_row(r, i, &rec);
	return rc ? rc : ((sk_campaign_cb)c->cb)(c->arg, &rec);
}

static int pg_campaign_each(struct sk_store *s, sk_campaign_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	return pg_each((struct pg_store *)s, PG_CAMPAIGN_EACH, NULL, NULL, 1, pg_campaign_fn, &c);
}

static int pg_send_put(struct sk_store *s, const struct sk_send_rec *r)
{
	struct pp p = {0};
	long changed = 0;
	pp_text(&p, r->id);
	pp_text(&p, r->campaign_id);
	pp_text(&p, r->contact_id);
	pp_text(&p, r->state);
	pp_text(&p, r->reason);
	pp_text(&p, r->consent_id);
	pp_text(&p, r->lang);
	pp_int(&p, r->queued_at);
	pp_int(&p, r->sent_at);
	int rc = pg_exec((struct pg_store *)s, PG_SEND_PUT, &p, &changed);
	return rc ? rc : changed ? 0 : SK_ERR_EXISTS;
}

static int pg_send_row(const PGresult *r, int i, struct sk_send_rec *out)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	pg_text(r, i, 0, out->id, sizeof(out->id), "campaign_sends.id", &rc);
	pg_text(r, i, 1, out->campaign_id, sizeof(out->campaign_id), "campaign_sends.campaign_id",
		&rc);
	pg_text(r, i, 2, out->contact_id, sizeof(out->contact_id), "campaign_sends.contact_id",
		&rc);
	pg_text(r, i, 3, out->state, sizeof(out->state), "campaign_sends.state", &rc);
	pg_text(r, i, 4, out->reason, sizeof(out->reason), "campaign_sends.reason", &rc);
	pg_text(r, i, 5, out->consent_id, sizeof(out->consent_id), "campaign_sends.consent_id",
		&rc);
	pg_text(r, i, 6, out->lang, sizeof(out->lang), "campaign_sends.lang", &rc);
	out->queued_at = pg_int(r, i, 7);
	out->sent_at = pg_int(r, i, 8);
	return rc;
}

static int pg_send_get(struct sk_store *s, const char *id, struct sk_send_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, id);
	int rc = pg_row((struct pg_store *)s, PG_SEND_GET, &p, &r);
	if (rc)
		return rc;
	rc = pg_send_row(r, 0, out);
	PQclear(r);
	return rc;
}

static int pg_send_state(struct sk_store *s, const struct sk_send_rec *r)
{
	struct pp p = {0};
	pp_text(&p, r->id);
	pp_text(&p, r->state);
	pp_text(&p, r->reason);
	pp_text(&p, r->consent_id);
	pp_int(&p, r->sent_at);
	return pg_exec((struct pg_store *)s, PG_SEND_STATE, &p, NULL);
}

static int pg_send_tally(struct sk_store *s, const char *campaign_id, sk_tally_cb cb, void *arg)
{
	struct pp p = {0};
	struct pg_tally tl = {2, "campaign_sends.reason", "campaign_sends.state", 0, NULL, cb, arg};
	pp_text(&p, campaign_id);
	return pg_each((struct pg_store *)s, PG_SEND_TALLY, NULL, &p, 1, pg_tally_fn, &tl);
}

static int pg_send_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_send_rec rec;
	int rc = pg_send_row(r, i, &rec);
	return rc ? rc : ((sk_send_cb)c->cb)(c->arg, &rec);
}

static int pg_send_each_contact(struct sk_store *s, const char *contact_id, sk_send_cb cb,
				void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_text(&p, contact_id);
	return pg_each((struct pg_store *)s, PG_SEND_EACH_CONTACT, NULL, &p, 1, pg_send_fn, &c);
}

/* ---- tracking and lead scoring ---- */

static int pg_track_put(struct sk_store *s, const struct sk_track_rec *e)
{
	struct pp p = {0};
	pp_text(&p, e->id);
	pp_int(&p, e->at);
	pp_text(&p, e->type);
	pp_text(&p, e->name);
	pp_text(&p, e->url);
	for (int i = 0; i < SK_NUTM; i++)
		pp_text(&p, e->utm[i]);
	pp_text(&p, e->visitor_id);
	pp_text(&p, e->contact_id[0] ? e->contact_id : NULL);
	pp_text(&p, e->campaign_id);
	pp_text(&p, e->ip);
	pp_text(&p, e->company);
	return pg_exec((struct pg_store *)s, PG_TRACK_PUT, &p, NULL);
}

static int pg_track_fn(const PGresult *r, int i, void *ctx)
{
	static const char *const utm_where[SK_NUTM] = {
		"track_events.utm_source", "track_events.utm_medium", "track_events.utm_campaign",
		"track_events.utm_term", "track_events.utm_content"};
	struct pg_cb *c = ctx;
	struct sk_track_rec *e = sk_malloc(sizeof(*e));
	int rc = 0;
	if (!e)
		return SK_ERR_NOMEM;
	memset(e, 0, sizeof(*e));
	pg_text(r, i, 0, e->id, sizeof(e->id), "track_events.id", &rc);
	e->at = pg_int(r, i, 1);
	pg_text(r, i, 2, e->type, sizeof(e->type), "track_events.type", &rc);
	pg_text(r, i, 3, e->name, sizeof(e->name), "track_events.name", &rc);
	pg_text(r, i, 4, e->url, sizeof(e->url), "track_events.url", &rc);
	for (int k = 0; k < SK_NUTM; k++)
		pg_text(r, i, 5 + k, e->utm[k], sizeof(e->utm[k]), utm_where[k], &rc);
	pg_text(r, i, 10, e->visitor_id, sizeof(e->visitor_id), "track_events.visitor_id", &rc);
	pg_text(r, i, 11, e->contact_id, sizeof(e->contact_id), "track_events.contact_id", &rc);
	pg_text(r, i, 12, e->campaign_id, sizeof(e->campaign_id), "track_events.campaign_id",
		&rc);
	pg_text(r, i, 13, e->ip, sizeof(e->ip), "track_events.ip", &rc);
	pg_text(r, i, 14, e->company, sizeof(e->company), "track_events.company", &rc);
	if (rc == 0)
		rc = ((sk_track_cb)c->cb)(c->arg, e);
	sk_free(e);
	return rc;
}

static int pg_track_each(struct sk_store *s, const char *contact_id, const char *visitor_id,
			 sk_track_cb cb, void *arg)
{
	struct pp p = {0};
	struct pg_cb c = {(void *)cb, arg};
	pp_text(&p, contact_id ? contact_id : visitor_id ? visitor_id : "");
	return pg_each((struct pg_store *)s, contact_id ? PG_TRACK_EACH_CONTACT
						: PG_TRACK_EACH_VISITOR, NULL, &p, 0, pg_track_fn, &c);
}

static int pg_track_ip_set(struct sk_store *s, const char *id, const char *ip,
			   const char *company)
{
	struct pp p = {0};
	pp_text(&p, id);
	pp_text(&p, ip);
	pp_text(&p, company);
	return pg_exec((struct pg_store *)s, PG_TRACK_IP_SET, &p, NULL);
}

static int pg_track_forget(struct sk_store *s, const char *contact_id)
{
	struct pp p = {0};
	pp_text(&p, contact_id);
	int rc = pg_exec((struct pg_store *)s, PG_TRACK_FORGET_EVENTS, &p, NULL);
	/* the events of the visitors tied to the contact too: linkable to the person */
	if (!rc)
		rc = pg_exec((struct pg_store *)s, PG_TRACK_DELETE_VISITORS, &p, NULL);
	return rc ? rc : pg_exec((struct pg_store *)s, PG_TRACK_FORGET_SCORE, &p, NULL);
}

static int pg_track_purge(struct sk_store *s, int64_t before, long *outn)
{
	struct pp p = {0};
	pp_int(&p, before);
	*outn = 0;
	return pg_exec((struct pg_store *)s, PG_TRACK_PURGE, &p, outn);
}

static int pg_score_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_score_rec rec;
	int rc = 0;
	memset(&rec, 0, sizeof(rec));
	pg_text(r, i, 0, rec.contact_id, sizeof(rec.contact_id), "scores.contact_id", &rc);
	rec.score = pg_int(r, i, 1);
	rec.computed_at = pg_int(r, i, 2);
	rec.nevents = pg_int(r, i, 3);
	rec.last_at = pg_int(r, i, 4);
	return rc ? rc : ((sk_score_cb)c->cb)(c->arg, &rec);
}

static int pg_score_each(struct sk_store *s, sk_score_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	return pg_each((struct pg_store *)s, PG_SCORE_EACH, NULL, NULL, 0, pg_score_fn, &c);
}

static int pg_track_sweep_each(struct sk_store *s, sk_track_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	return pg_each((struct pg_store *)s, PG_TRACK_SWEEP_EACH, NULL, NULL, 0, pg_track_fn,
		       &c);
}

static int pg_track_count_visitor(struct sk_store *s, const char *visitor_id, int64_t since,
				  int64_t *outn)
{
	struct pp p = {0};
	PGresult *r;
	*outn = 0;
	pp_text(&p, visitor_id);
	pp_int(&p, since);
	int rc = pg_row((struct pg_store *)s, PG_TRACK_COUNT_VISITOR, &p, &r);
	if (rc == 0)
		*outn = pg_int(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_db_size(struct sk_store *s, int64_t *outbytes)
{
	PGresult *r;
	*outbytes = 0;
	int rc = pg_row((struct pg_store *)s, PG_DB_SIZE, NULL, &r);
	if (rc == 0)
		*outbytes = pg_int(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_sealed_replace(struct sk_store *s, int kind, const char *id, const uint8_t *blob,
			     size_t len)
{
	struct pp p = {0};
	int which = kind == SK_SEALED_DATAKEY   ? PG_DATAKEY_REPLACE
		    : kind == SK_SEALED_WEBHOOK ? PG_WEBHOOK_SECRET_SET
		    : kind == SK_SEALED_REQUEST ? PG_REQUEST_RESEAL
						: -1;
	if (which < 0)
		return SK_ERR_INVALID;
	pp_text(&p, id);
	pp_bin(&p, blob, len);
	return pg_exec_found((struct pg_store *)s, which, &p);
}

/* ---- backup and restore (docs/operations.md, 4) ---- */

/* A PostgreSQL store is backed up and restored with pg_dump and pg_restore (the server's
 * own consistent snapshot); samtycke backup and restore refuse it. */
static int pg_backup_to(struct sk_store *s, const char *path, int64_t taken_at_ms,
			int64_t *outseq, uint8_t *outhead)
{
	(void)s;
	(void)path;
	(void)taken_at_ms;
	*outseq = 0;
	memset(outhead, 0, SK_HASH_LEN);
	return SK_ERR_USAGE;
}

static int pg_restore_from(struct sk_store *s, const char *path)
{
	(void)s;
	(void)path;
	return SK_ERR_USAGE;
}

static int pg_lease_live(struct sk_store *s, int64_t now_ms, int64_t *outn)
{
	struct pp p = {0};
	PGresult *r;
	*outn = 0;
	pp_int(&p, now_ms);
	int rc = pg_row((struct pg_store *)s, PG_LEASE_LIVE, &p, &r);
	if (rc == 0)
		*outn = pg_int(r, 0, 0);
	PQclear(r);
	return rc;
}

static int pg_company_clear(struct sk_store *s)
{
	return pg_exec((struct pg_store *)s, PG_COMPANY_CLEAR, NULL, NULL);
}

static int pg_company_put(struct sk_store *s, const uint8_t *start, const uint8_t *end,
			  const char *name)
{
	struct pp p = {0};
	pp_bin(&p, start, SK_IPKEY_LEN);
	pp_bin(&p, end, SK_IPKEY_LEN);
	pp_text(&p, name);
	return pg_exec((struct pg_store *)s, PG_COMPANY_PUT, &p, NULL);
}

static int pg_company_find(struct sk_store *s, const uint8_t *addr, char *out, size_t outlen)
{
	struct pp p = {0};
	PGresult *r;
	pp_bin(&p, addr, SK_IPKEY_LEN);
	int rc = pg_row((struct pg_store *)s, PG_COMPANY_FIND, &p, &r);
	if (rc == 0)
		pg_text(r, 0, 0, out, outlen, "company_ranges.name", &rc);
	PQclear(r);
	return rc;
}

static int pg_score_put(struct sk_store *s, const struct sk_score_rec *sc)
{
	struct pp p = {0};
	pp_text(&p, sc->contact_id);
	pp_int(&p, sc->score);
	pp_int(&p, sc->computed_at);
	pp_int(&p, sc->nevents);
	pp_int(&p, sc->last_at);
	return pg_exec((struct pg_store *)s, PG_SCORE_PUT, &p, NULL);
}

static int pg_score_get(struct sk_store *s, const char *contact_id, struct sk_score_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	memset(out, 0, sizeof(*out));
	pp_text(&p, contact_id);
	int rc = pg_row((struct pg_store *)s, PG_SCORE_GET, &p, &r);
	if (rc == 0) {
		sk_strlcpy(out->contact_id, contact_id, sizeof(out->contact_id));
		out->score = pg_int(r, 0, 0);
		out->computed_at = pg_int(r, 0, 1);
		out->nevents = pg_int(r, 0, 2);
		out->last_at = pg_int(r, 0, 3);
	}
	PQclear(r);
	return rc;
}

static void pg_close(struct sk_store *s)
{
	struct pg_store *q = (struct pg_store *)s;
	PQclear(q->keep);
	PQfinish(q->conn);
	sk_free(q);
}

/* ---- visitors of the banner (issue 16, store.h) ---- */

static int pg_visitor_put(struct sk_store *s, const struct sk_visitor_rec *v)
{
	struct pp p = {0};
	pp_text(&p, v->id);
	pp_text(&p, v->contact_id[0] ? v->contact_id : NULL);
	pp_int(&p, v->created_at);
	pp_int(&p, v->last_seen_at);
	return pg_exec((struct pg_store *)s, PG_VISITOR_PUT, &p, NULL);
}

static int pg_visitor_row(const PGresult *r, int i, struct sk_visitor_rec *v)
{
	int rc = 0;
	memset(v, 0, sizeof(*v));
	pg_text(r, i, 0, v->id, sizeof(v->id), "visitors.id", &rc);
	pg_text(r, i, 1, v->contact_id, sizeof(v->contact_id), "visitors.contact_id", &rc);
	v->created_at = pg_int(r, i, 2);
	v->last_seen_at = pg_int(r, i, 3);
	return rc;
}

static int pg_visitor_get(struct sk_store *s, const char *id, struct sk_visitor_rec *out)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, id);
	int rc = pg_row((struct pg_store *)s, PG_VISITOR_GET, &p, &r);
	if (rc == 0)
		rc = pg_visitor_row(r, 0, out);
	PQclear(r);
	return rc;
}

static int pg_visitor_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_visitor_rec v;
	int rc = pg_visitor_row(r, i, &v);
	return rc ? rc : ((sk_visitor_cb)c->cb)(c->arg, &v);
}

static int pg_visitor_each_by_contact(struct sk_store *s, const char *contact_id,
				      sk_visitor_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	struct pp p = {0};
	pp_text(&p, contact_id);
	return pg_each((struct pg_store *)s, PG_VISITOR_BY_CONTACT, NULL, &p, 1, pg_visitor_fn, &c);
}

static int pg_visitor_answer_append(struct sk_store *s, struct sk_visitor_answer_rec *a)
{
	struct pp p = {0};
	PGresult *r;
	pp_text(&p, a->visitor_id);
	pp_text(&p, a->purpose);
	pp_text(&p, a->action);
	pp_int(&p, a->at);
	pp_text(&p, a->banner_version);
	pp_int(&p, a->notice_version);
	pp_bin(&p, a->notice_sha256, SK_HASH_LEN);
	pp_text(&p, a->lang);
	pp_text(&p, a->page);
	pp_text(&p, a->signal);
	pp_text(&p, a->ua_class);
	int rc = pg_row((struct pg_store *)s, PG_VISITOR_ANSWER_APPEND, &p, &r);
	if (rc == 0)
		a->seq = pg_int(r, 0, 0);
	PQclear(r);
	return rc == SK_ERR_NOT_FOUND ? SK_ERR_STORAGE : rc;
}

static int pg_visitor_answer_fn(const PGresult *r, int i, void *ctx)
{
	struct pg_cb *c = ctx;
	struct sk_visitor_answer_rec a;
	int rc = 0;
	memset(&a, 0, sizeof(a));
	a.seq = pg_int(r, i, 0);
	pg_text(r, i, 1, a.visitor_id, sizeof(a.visitor_id), "visitor_answers.visitor_id", &rc);
	pg_text(r, i, 2, a.purpose, sizeof(a.purpose), "visitor_answers.purpose", &rc);
	pg_text(r, i, 3, a.action, sizeof(a.action), "visitor_answers.action", &rc);
	a.at = pg_int(r, i, 4);
	pg_text(r, i, 5, a.banner_version, sizeof(a.banner_version),
		"visitor_answers.banner_version", &rc);
	a.notice_version = (int)pg_int(r, i, 6);
	pg_hash(r, i, 7, a.notice_sha256);
	pg_text(r, i, 8, a.lang, sizeof(a.lang), "visitor_answers.lang", &rc);
	pg_text(r, i, 9, a.page, sizeof(a.page), "visitor_answers.page", &rc);
	pg_text(r, i, 10, a.signal, sizeof(a.signal), "visitor_answers.signal", &rc);
	pg_text(r, i, 11, a.ua_class, sizeof(a.ua_class), "visitor_answers.ua_class", &rc);
	return rc ? rc : ((sk_visitor_answer_cb)c->cb)(c->arg, &a);
}

static int pg_visitor_answer_each(struct sk_store *s, const char *visitor_id,
				  sk_visitor_answer_cb cb, void *arg)
{
	struct pg_cb c = {(void *)cb, arg};
	struct pp p = {0};
	pp_text(&p, visitor_id);
	return pg_each((struct pg_store *)s, PG_VISITOR_ANSWER_EACH, NULL, &p, 0,
		       pg_visitor_answer_fn, &c);
}

static int pg_visitor_purge(struct sk_store *s, int64_t before, int64_t *outcount)
{
	struct pp p = {0};
	long changed = 0;
	pp_int(&p, before);
	int rc = pg_exec((struct pg_store *)s, PG_VISITOR_PURGE, &p, &changed);
	if (rc == 0 && outcount)
		*outcount = changed;
	return rc;
}

static const struct sk_store_methods pg_methods = {
	.version = SK_STORE_VERSION,
	.name = "postgresql",
	.close = pg_close,
#define PG__ENTRY(name, params, args) .name = pg_##name,
	SK_STORE_METHOD_LIST(PG__ENTRY)
#undef PG__ENTRY
};

/* ---- opening ---- */

static void pg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* notices (a NOTICE of a migration) are not for the user */
}

/* The server's or libpq's last message on one line, for an error: it names the host, port,
 * user or database, never the password (the URI itself is never printed). */
static const char *pg_message(PGconn *c, char *buf, size_t cap)
{
	sk_strlcpy(buf, c ? PQerrorMessage(c) : "out of memory", cap);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t n = strlen(buf);
	while (n && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return buf;
}

/* The schema version: -1 when the database holds no samtycke schema. */
static int pg_schema_version(struct pg_store *q, int *out)
{
	/* pg_tables, read with the statement's snapshot, not to_regclass: that one asks the
	 * catalog cache, which may still hold "no such table" from before the lock was taken
	 * while another session made it (two inits at once) */
	PGresult *r = PQexecParams(q->conn,
				   "SELECT EXISTS(SELECT 1 FROM pg_catalog.pg_tables WHERE"
				   " tablename = 'samtycke_schema' AND schemaname = current_schema())",
				   0, NULL, NULL, NULL, NULL, 0);
	int rc = pg_check(q, r);
	if (rc)
		return rc;
	int have = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	*out = -1;
	if (!have)
		return 0;
	r = PQexecParams(q->conn, "SELECT max(version) FROM samtycke_schema", 0, NULL, NULL, NULL,
			 NULL, 0);
	if ((rc = pg_check(q, r)))
		return rc;
	*out = PQgetisnull(r, 0, 0) ? 0 : (int)strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

/* Brings the schema up to date (create: makes it), in one transaction under the writer's
 * lock, reading the version again under it: of two servers starting at once, the second
 * finds the work done. */
static int pg_migrate(struct pg_store *q, int create, struct sk_errctx *err)
{
	char msg[512];
	int v = -1, rc;
	if ((rc = pg_schema_version(q, &v)))
		return sk_errf(err, rc, "PostgreSQL store: reading the schema version: %s",
			       pg_message(q->conn, msg, sizeof(msg)));
	if (create && v >= 0)
		return sk_errf(err, SK_ERR_EXISTS, "the PostgreSQL database already holds a "
			       "samtycke store");
	if (!create && v < 0)
		return sk_errf(err, SK_ERR_NOT_INITIALISED, "the PostgreSQL database holds no "
			       "samtycke store; run init first");
	if (v == PG_NMIGRATIONS)
		return 0;
	if (v > PG_NMIGRATIONS)
		return sk_errf(err, SK_ERR_STORAGE, "PostgreSQL store: schema version %d is newer "
			       "than this samtycke knows (%d)", v, PG_NMIGRATIONS);
	if ((rc = pg_begin(&q->base, SK_TX_WRITE)))
		return sk_errf(err, rc, "PostgreSQL store: locking for the migration: %s",
			       pg_message(q->conn, msg, sizeof(msg)));
	int told = 0;
	if ((rc = pg_schema_version(q, &v)) == 0) {
		told = 1;
		if (create && v >= 0)
			rc = sk_errf(err, SK_ERR_EXISTS, "the PostgreSQL database already holds a "
				     "samtycke store");
		else if (!create && v < 0) /* dropped meanwhile: never made without init */
			rc = sk_errf(err, SK_ERR_NOT_INITIALISED, "the PostgreSQL database holds no "
				     "samtycke store; run init first");
		else if (v > PG_NMIGRATIONS)
			rc = sk_errf(err, SK_ERR_STORAGE, "PostgreSQL store: schema version %d is "
				     "newer than this samtycke knows (%d)", v, PG_NMIGRATIONS);
		else
			told = 0;
		for (int i = v < 0 ? 0 : v; rc == 0 && i < PG_NMIGRATIONS; i++)
			rc = pg_simple(q, migrations[i]);
		if (rc == 0)
			rc = pg_commit(&q->base);
	}
	if (rc) {
		if (!told)
			sk_errf(err, rc, "PostgreSQL store: migrating the schema: %s",
				pg_message(q->conn, msg, sizeof(msg)));
		(void)pg_rollback(&q->base);
	}
	return rc;
}

int sk__store_open_pg(const char *uri, int create, struct sk_store **out, struct sk_errctx *err)
{
	char msg[512];
	struct pg_store *q = sk_calloc(1, sizeof(*q));
	int rc;
	if (!q)
		return sk_errf(err, SK_ERR_NOMEM, "out of memory opening the PostgreSQL store");
	q->base.m = &pg_methods;
	/* libpq knows the schemes in lower case only and reads anything else as a key=value
	 * string, quoting it (password and all) in its complaint; and a URI it cannot parse is
	 * quoted whole. So: the scheme lower-cased, and a parse failure said without libpq's
	 * text. */
	char *conninfo = sk_strdup(uri);
	if (!conninfo) {
		sk_free(q);
		return sk_errf(err, SK_ERR_NOMEM, "out of memory opening the PostgreSQL store");
	}
	for (char *c = conninfo; *c && *c != ':'; c++)
		*c = (char)tolower((unsigned char)*c);
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	PQfreemem(perr);
	if (!opts) {
		sk_free(conninfo);
		sk_free(q);
		return sk_errf(err, SK_ERR_USAGE, "the PostgreSQL store URI is malformed (see "
			       "libpq's connection URIs; the URI is not shown: it may hold a password)");
	}
	PQconninfoFree(opts);
	q->conn = PQconnectdb(conninfo);
	sk_free(conninfo);
	if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
		rc = sk_errf(err, SK_ERR_STORAGE, "cannot connect to the PostgreSQL store: %s",
			     pg_message(q->conn, msg, sizeof(msg)));
		goto fail;
	}
	PQsetNoticeProcessor(q->conn, pg_quiet, NULL);
	/* outside a write transaction too (a lease, a scrub, an autocommit write): a wait for a
	 * row lock is bounded as begin's is; texts go both ways as UTF-8 whatever the client's
	 * locale; and a commit is durable (contract 3) even where the server's default says
	 * synchronous_commit = off (a stronger setting, remote_apply, is kept) */
	if ((rc = pg_simple(q, PG_SESSION_SQL))) {
		rc = sk_errf(err, rc, "PostgreSQL store: %s", pg_message(q->conn, msg, sizeof(msg)));
		goto fail;
	}
	if ((rc = pg_migrate(q, create, err)))
		goto fail;
	*out = &q->base;
	return 0;
fail:
	pg_close(&q->base);
	return rc;
}
