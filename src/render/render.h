/* render.h: every JSON shape that samtycke answers with, defined once and used by the
 * command line's --json and the HTTP API alike (docs/internals/render.md). Each function
 * returns a new jansson reference (NULL only when out of memory) built from core's domain
 * structs; nothing here reads the store or decides anything. */
#ifndef SK_RENDER_H
#define SK_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "core/import.h"
#include "core/webhook.h"

struct json_t;

/* ---- shared pieces (render/json.c) ---- */

struct json_t *sk_json_time(int64_t t); /* RFC 3339 string; null for 0 */
struct json_t *sk_json_contact(const struct sk_contact *ct);
struct json_t *sk_json_event(const struct sk_consent_event *ev);
/* The state with its status as the gate sees it at now (a lapsed consent is expired). */
struct json_t *sk_json_state(const struct sk_state *st, int64_t now);
struct json_t *sk_json_change(const struct sk_change *ch);
/* {"sv":..,"en":..} of a text written in every language. */
struct json_t *sk_json_texts(char *const t[SK_NLANG]);
/* A policy duration as written ("24 months"); null for none. */
struct json_t *sk_json_duration(struct sk_duration d);

/* ---- the visitor banner (render/banner.c; docs/banner.md) ---- */

struct sk_buf;
/* The script /c.js for the banner of v (sk_banner_view) in b (initialised here; the caller
 * resets it): base the server's public URL (the script posts to the origin it was loaded
 * from, this when that is unknown); gpc 1 when the request for it carried Sec-GPC: 1. */
int sk_banner_js(struct sk_buf *b, const struct sk_banner_view *v, const char *base, int gpc);
/* {"id","contact_id" (null when not tied),"created_at","last_seen_at","answers":[{"seq",
 * "purpose","action","at","banner_version","notice_version","notice_sha256","lang","page",
 * "signal","user_agent_class"}]} */
struct json_t *sk_json_visitor(const struct sk_visitor_view *v);

/* ---- data-subject rights and disposal (render/rights.c) ---- */

/* The access export document (docs/rights.md). */
struct json_t *sk_json_export(const struct sk_access_export *x);
/* One tracking event as the access export and the API show it (helper track). */
struct json_t *sk_json_track_event(const struct sk_track_rec *e);
/* GET /v1/contacts/{id}/score: the score at its time, or null with the gate's reason. */
struct sk_score;
struct json_t *sk_json_score(const char *contact_id, const struct sk_score *sc, int64_t at);
/* {"erasure_id","contact_id" (null when no contact had the address),"erased_at",
 * "categories","suppressed","ledger_events_kept","scrub_pending"} */
struct json_t *sk_json_erasure(const struct sk_erasure_receipt *r);
/* {"dry_run":..,"contacts":{reason:[ids]} (every reason, in SK_PURGE_REASON_LIST order),
 * "total":N} */
struct json_t *sk_json_purge(const struct sk_purge_report *r);

/* ---- consent receipts (render/receipt.c) ---- */

/* A Kantara Consent Receipt v1.1. */
struct json_t *sk_json_receipt(const struct sk_consent_receipt *r);

/* ---- the policy and its purposes (render/policy.c) ---- */

/* One purpose as GET /v1/purposes documents it (docs/openapi.yaml, Purpose), with its
 * notice at the purpose's current version in every language. */
struct json_t *sk_json_purpose(const struct sk_purpose *p, const struct sk_notice_set *n);
/* {"purposes":[..]}: notices[i] belongs to pol->purposes[i]. */
struct json_t *sk_json_purposes(const struct sk_policy *pol, const struct sk_notice_set *notices);
/* The applied policy (samtycke policy show --json): version, organisation, fields and the
 * purposes, each in sk_json_purpose's shape. */
struct json_t *sk_json_policy(const struct sk_policy *pol, int version,
			      const struct sk_notice_set *notices);
/* The names of a policy difference's item and change ("purpose", "added"...). */
const char *sk_policy_item_name(enum sk_policy_item i);
const char *sk_policy_op_name(enum sk_policy_op o);
/* What applying a policy file does or would do (samtycke policy apply --json). */
struct json_t *sk_json_policy_plan(const struct sk_policy_plan *plan, int dry_run);

/* ---- answers of the API and the command line (render/answers.c) ---- */

/* The gate's answer: {"allowed","reason","consent_id" (null when none)}. */
struct json_t *sk_json_gate(const struct sk_gate_result *g);
/* The same answer as json_dumps(sk_json_gate(g), JSON_COMPACT), byte for byte, written into
 * BUF (CAP bytes, NUL-terminated) without jansson: the check path's fast answer. Returns its
 * length, or -1 when it does not fit or the id holds a byte that JSON would escape (then use
 * sk_json_gate). SK_JSON_GATE_MAX is always enough for the ids the ledger makes. */
#define SK_JSON_GATE_MAX 160
int sk_json_gate_text(const struct sk_gate_result *g, char *buf, size_t cap);
/* {"results":[gate answers]}: the n answers of sk_gate_check_many, in order. */
struct json_t *sk_json_gate_bulk(const struct sk_gate_result *g, size_t n);
/* A recorded consent event: {"id","seq","ledger_seq","change_seq","contact_id","status"}:
 * seq and ledger_seq are the event's number in the ledger, change_seq the number of the change
 * it appended to the change feed (GET /v1/changes?after=). */
struct json_t *sk_json_consent_recorded(const struct sk_consent_event *ev, const char *status,
					int64_t change_seq);
/* A contact's consents: {"contact_id","state":[..],"history":[..]}; takes the references to
 * state and history (built with the list callbacks below). */
struct json_t *sk_json_consents(const char *contact_id, struct json_t *state,
				struct json_t *history);
/* The proof of one consent (samtycke consent proof --json). */
struct json_t *sk_json_proof(const struct sk_proof *p, int64_t now);

/* Callbacks for sk_consent_states, sk_consent_history and sk_changes that append each item
 * in its shape to arr (the array is the caller's). */
struct sk_json_list {
	struct json_t *arr;
	int64_t now;   /* states: the time their status is seen at */
	int64_t last;  /* changes: the seq of the last one appended */
};
int sk_json_list_state(void *arg, const struct sk_state *st);
int sk_json_list_event(void *arg, const struct sk_consent_event *ev);
int sk_json_list_change(void *arg, const struct sk_change *ch);
/* A page of the change feed: {"changes":[..],"next":N}; takes the reference to changes. */
struct json_t *sk_json_changes(struct json_t *changes, int64_t next);

/* The ledger audit: {"ok","events","head" or "first_bad_seq","scrub_pending" ({"since"} or
 * null)}. */
struct json_t *sk_json_audit(const struct sk_audit *a);
/* A replay's answer: {"differences","diffs":[..],"rebuilt"}; takes diffs (built with
 * sk_json_list_diff, arg the array). */
int sk_json_list_diff(void *arg, const struct sk_replay_diff *d);
/* A replay difference's status: its name, or "missing". */
const char *sk_replay_status_name(enum sk_status s);
struct json_t *sk_json_replay(long ndiff, struct json_t *diffs, int rebuilt);

/* A migration's summary: {"tables":{NAME:ROWS,...},"rows","ledger":{"seq","head"},
 * "verified"}; head is null for an empty ledger. */
struct json_t *sk_json_migrate(const struct sk_migrate_result *r);
/* samtycke backup's answer: {"path","size","taken_at","taken_at_ms","ledger":{"seq",
 * "head"},"key_file"}; head is null for an empty ledger. */
struct json_t *sk_json_backup(const char *path, int64_t size, const struct sk_backup_info *b,
			      const char *key_file);
/* A replay of the erasure log: {"log","since_ms","entries","erased","suppressed",
 * "unsuppressed","bad_lines","unverified","scrub_pending"}. */
struct json_t *sk_json_erasures(const char *log, int64_t since_ms,
				const struct sk_erasures_report *r);

/* API keys: one key as listed (never its secret), the list, and a created key (its secret
 * shown once). */
int sk_json_list_key(void *arg, const struct sk_key_rec *k);
struct json_t *sk_json_keys(struct json_t *keys);
struct json_t *sk_json_key_created(const char *name, const char *scopes, const char *key);

/* A revoked key: {"name","revoked":true} (the API), or {"revoked":true} when name is NULL
 * (the command line, which was given the name). */
struct json_t *sk_json_key_revoked(const char *name);

/* {"suppressed":yes} (the suppression check; unsuppress), with "reason" when not NULL
 * (suppress). */
struct json_t *sk_json_suppressed(int yes, const char *reason);
/* A created thing: {"id":..}; a change made: {"ok":true}. */
struct json_t *sk_json_created(const char *id);
struct json_t *sk_json_ok(void);
/* A preference-centre link (samtycke link --json, POST /v1/contacts/{id}/preference-link):
 * {"url","expires_at"}. */
struct json_t *sk_json_pref_link(const char *url, int64_t expires);
/* A form submission's answer: {"status":"ok","given","pending","ignored"}. */
struct json_t *sk_json_form_outcome(const struct sk_form_outcome *o);
/* The maintenance of samtycke expire: {"requests_deleted","expired","contacts_deleted"}. */
struct json_t *sk_json_expiry(long requests_deleted, long expired, long contacts_deleted);
/* samtycke init: {"database","key_file","key_created"}. */
struct json_t *sk_json_init(const char *database, const char *key_file, int key_created);

/* ---- webhook endpoints (render/webhook.c) ---- */

/* {"id","name","url","events","enabled","last_delivered_seq","pending","last_status",
 * "last_error","next_attempt_at","failures","failed_changes","last_failed_seq",
 * "created_at"}: one endpoint, as `webhook list --json` and GET /v1/webhooks/{id} give it;
 * NULL when out of memory. */
struct json_t *sk_json_webhook(const struct sk_webhook_info *w);
/* {"webhooks":[..]} of n endpoints. */
struct json_t *sk_json_webhooks(const struct sk_webhook_info *w, size_t n);
/* A new endpoint: {"id","secret"} (the secret shown once), from the CLI and the API alike. */
struct json_t *sk_json_webhook_created(const char *id, const char *secret);
/* A removed endpoint: {"id","removed":true} (webhook remove) and {"id","deleted":true}
 * (DELETE /v1/webhooks/{id}): two documents, as they always were. */
struct json_t *sk_json_webhook_removed(const char *id);
struct json_t *sk_json_webhook_deleted(const char *id);

/* ---- the CSV import report (render/import.c) ---- */

/* Counts, file hash and resume state (CLI --json and POST /v1/imports, which adds its
 * rejects). */
struct json_t *sk_json_import_report(const struct sk_csv_import_report *r, int dry_run);
/* POST /v1/imports's answer: the report with "rejects" (takes the reference) and
 * "rejects_truncated". */
struct json_t *sk_json_import_answer(const struct sk_csv_import_report *r, int dry_run,
				     struct json_t *rejects, int truncated);
/* One rejected row over HTTP: {"line","reason","column"} (never the cells). */
struct json_t *sk_json_import_reject(int64_t line, const char *reason, const char *column);

/* ---- UTM links (render/console_utm.c; docs/utm.md) ---- */

/* {"url"}: a link built by sk_utm_build, as `utm --json` and GET /v1/utm give it. */
struct json_t *sk_json_utm(const char *url);
/* ---- campaigns (render/campaign.c; docs/campaigns.md) ---- */

/* {"id","name","purpose","status","created_at","updated_at"}, and the description as
 * "campaign" when rec->spec holds it. */
struct json_t *sk_json_campaign(const struct sk_campaign_rec *rec);
/* The send log counted: {"id","queued","sending","sent","failed","skipped":{REASON:n}}. */
struct json_t *sk_json_campaign_status(const char *id, const struct sk_campaign_status *st);
/* A preview: {"id","at","contacts","audience","excluded":{REASON:n,...,"segment":n}}. */
struct json_t *sk_json_campaign_preview(const char *id, const struct sk_audience *a);
/* One send-log row of a person (the access export). */
struct json_t *sk_json_send(const struct sk_send_rec *r);

#endif
