/* answers.c: the JSON of the small answers of the API and the command line: the gate's
 * answer, a recorded consent, a contact's consents and its proof, the change feed, the audit,
 * a replay, API keys, suppression, created things, a form submission's outcome and the
 * maintenance counts. One shape each, whoever prints it. */
#include <jansson.h>
#include <stdio.h>

#include "render/render.h"
#include "util/sktime.h"
#include "util/str.h"

json_t *sk_json_gate(const struct sk_gate_result *g)
{
	return json_pack("{s:b,s:s,s:o}", "allowed", g->allowed, "reason", sk_reason_name(g->reason),
			 "consent_id", g->consent_id[0] ? json_string(g->consent_id) : json_null());
}

int sk_json_gate_text(const struct sk_gate_result *g, char *buf, size_t cap)
{
	const char *reason = sk_reason_name(g->reason);
	/* Names and ids are printable ASCII without '"' or '\\': jansson writes them as they
	 * are. Anything else is left to jansson, so the bytes never differ. */
	for (const char *s = g->consent_id; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
			return -1;
	for (const char *s = reason; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
			return -1;
	int n = g->consent_id[0]
		? snprintf(buf, cap, "{\"allowed\":%s,\"reason\":\"%s\",\"consent_id\":\"%s\"}",
			   g->allowed ? "true" : "false", reason, g->consent_id)
		: snprintf(buf, cap, "{\"allowed\":%s,\"reason\":\"%s\",\"consent_id\":null}",
			   g->allowed ? "true" : "false", reason);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

json_t *sk_json_gate_bulk(const struct sk_gate_result *g, size_t n)
{
	json_t *results = json_array();
	for (size_t i = 0; results && i < n; i++)
		if (json_array_append_new(results, sk_json_gate(&g[i]))) {
			json_decref(results);
			return NULL;
		}
	return results ? json_pack("{s:o}", "results", results) : NULL;
}

json_t *sk_json_consent_recorded(const struct sk_consent_event *ev, const char *status,
				 int64_t change_seq)
{
	/* seq is the ledger's (ledger_seq says so by name), not the change feed's */
	return json_pack("{s:s,s:I,s:I,s:I,s:s,s:s}", "id", ev->id, "seq", (json_int_t)ev->seq,
			 "ledger_seq", (json_int_t)ev->seq, "change_seq", (json_int_t)change_seq,
			 "contact_id", ev->contact_id, "status", status);
}

json_t *sk_json_consents(const char *contact_id, json_t *state, json_t *history)
{
	return json_pack("{s:s,s:o,s:o}", "contact_id", contact_id, "state", state, "history",
			 history);
}

static json_t *evidence(const char *text)
{
	json_t *v = text ? json_loads(text, 0, NULL) : NULL;
	return v ? v : json_null();
}

json_t *sk_json_proof(const struct sk_proof *p, int64_t now)
{
	const char *status = sk_status_name(sk_state_status(&p->state, now));
	json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:s}", "contact_id", p->state.contact_id,
			      "purpose", p->state.purpose, "status", status, "event",
			      sk_json_event(&p->event), "notice_text", p->notice_text);
	if (!o)
		return NULL;
	if (p->given.seq) {
		json_object_set_new(o, "given", sk_json_event(&p->given));
		json_object_set_new(o, "given_evidence", evidence(p->given_evidence_json));
	}
	json_object_set_new(o, "evidence", evidence(p->evidence_json));
	json_object_set_new(o, "evidence_shredded", json_boolean(p->evidence_shredded));
	return o;
}

int sk_json_list_state(void *arg, const struct sk_state *st)
{
	struct sk_json_list *x = arg;
	return json_array_append_new(x->arr, sk_json_state(st, x->now)) ? SK_ERR_NOMEM : 0;
}

int sk_json_list_event(void *arg, const struct sk_consent_event *ev)
{
	struct sk_json_list *x = arg;
	return json_array_append_new(x->arr, sk_json_event(ev)) ? SK_ERR_NOMEM : 0;
}

int sk_json_list_change(void *arg, const struct sk_change *ch)
{
	struct sk_json_list *x = arg;
	x->last = ch->seq;
	return json_array_append_new(x->arr, sk_json_change(ch)) ? SK_ERR_NOMEM : 0;
}

json_t *sk_json_changes(json_t *changes, int64_t next)
{
	return json_pack("{s:o,s:I}", "changes", changes, "next", (json_int_t)next);
}

json_t *sk_json_audit(const struct sk_audit *a)
{
	char hex[2 * SK_HASH_LEN + 1];
	/* an erasure whose WAL scrub a reader still holds up (docs/rights.md) */
	json_t *scrub = a->scrub_since ? json_pack("{s:o}", "since", sk_json_time(a->scrub_since))
				       : json_null();
	if (a->broken)
		return json_pack("{s:b,s:I,s:I,s:o}", "ok", 0, "events", (json_int_t)a->events,
				 "first_bad_seq", (json_int_t)a->first_bad_seq, "scrub_pending", scrub);
	sk_hex(a->head, SK_HASH_LEN, hex);
	return json_pack("{s:b,s:I,s:s,s:o}", "ok", 1, "events", (json_int_t)a->events, "head",
			 hex, "scrub_pending", scrub);
}

json_t *sk_json_migrate(const struct sk_migrate_result *r)
{
	char hex[2 * SK_HASH_LEN + 1];
	json_t *tables = json_object();
	for (int t = 0; tables && t < r->ntables; t++)
		if (json_object_set_new(tables, r->table[t], json_integer((json_int_t)r->rows[t]))) {
			json_decref(tables);
			return NULL;
		}
	sk_hex(r->ledger_head, SK_HASH_LEN, hex);
	return json_pack("{s:o,s:I,s:{s:I,s:o},s:b}", "tables", tables, "rows",
			 (json_int_t)r->total, "ledger", "seq", (json_int_t)r->ledger_seq, "head",
			 r->ledger_seq ? json_string(hex) : json_null(), "verified", r->verified);
}

json_t *sk_json_backup(const char *path, int64_t size, const struct sk_backup_info *b,
		       const char *key_file)
{
	char hex[2 * SK_HASH_LEN + 1], t[SK_TIME_STRLEN];
	sk_hex(b->ledger_head, SK_HASH_LEN, hex);
	sk_time_format(b->taken_at_ms / 1000, t);
	return json_pack("{s:s,s:I,s:s,s:I,s:{s:I,s:o},s:s}", "path", path, "size",
			 (json_int_t)size, "taken_at", t, "taken_at_ms", (json_int_t)b->taken_at_ms,
			 "ledger", "seq", (json_int_t)b->ledger_seq, "head",
			 b->ledger_seq ? json_string(hex) : json_null(), "key_file", key_file);
}

json_t *sk_json_erasures(const char *log, int64_t since_ms, const struct sk_erasures_report *r)
{
	return json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "log", log, "since_ms",
			 (json_int_t)since_ms, "entries", (json_int_t)r->entries, "erased",
			 (json_int_t)r->erased, "suppressed", (json_int_t)r->suppressed,
			 "unsuppressed", (json_int_t)r->unsuppressed, "bad_lines",
			 (json_int_t)r->bad_lines, "unverified", (json_int_t)r->unverified,
			 "scrub_pending", r->scrub_pending);
}

const char *sk_replay_status_name(enum sk_status s)
{
	return s == SK_ST_MISSING ? "missing" : sk_status_name(s);
}

int sk_json_list_diff(void *arg, const struct sk_replay_diff *d)
{
	return json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s}", "contact_id",
						    d->contact_id, "purpose", d->purpose, "stored",
						    sk_replay_status_name(d->stored), "derived",
						    sk_replay_status_name(d->derived)))
		       ? SK_ERR_NOMEM
		       : 0;
}

json_t *sk_json_replay(long ndiff, json_t *diffs, int rebuilt)
{
	return json_pack("{s:I,s:o,s:b}", "differences", (json_int_t)ndiff, "diffs", diffs,
			 "rebuilt", rebuilt);
}

int sk_json_list_key(void *arg, const struct sk_key_rec *k)
{
	return json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:o,s:o}", "id", k->id, "name",
						    k->name, "scopes", k->scopes, "created_at",
						    sk_json_time(k->created_at), "revoked_at",
						    sk_json_time(k->revoked_at)))
		       ? SK_ERR_NOMEM
		       : 0;
}

json_t *sk_json_keys(json_t *keys)
{
	return json_pack("{s:o}", "keys", keys);
}

json_t *sk_json_key_created(const char *name, const char *scopes, const char *key)
{
	return json_pack("{s:s,s:s,s:s}", "name", name, "scopes", scopes, "key", key);
}

json_t *sk_json_key_revoked(const char *name)
{
	if (!name)
		return json_pack("{s:b}", "revoked", 1);
	return json_pack("{s:s,s:b}", "name", name, "revoked", 1);
}

json_t *sk_json_suppressed(int yes, const char *reason)
{
	if (reason)
		return json_pack("{s:b,s:s}", "suppressed", yes, "reason", reason);
	return json_pack("{s:b}", "suppressed", yes);
}

json_t *sk_json_created(const char *id)
{
	return json_pack("{s:s}", "id", id);
}

json_t *sk_json_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

json_t *sk_json_pref_link(const char *url, int64_t expires)
{
	return json_pack("{s:s,s:o}", "url", url, "expires_at", sk_json_time(expires));
}

static json_t *names(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *sk_json_form_outcome(const struct sk_form_outcome *o)
{
	return json_pack("{s:s,s:o,s:o,s:o}", "status", "ok", "given", names(o->given, o->ngiven),
			 "pending", names(o->pending, o->npending), "ignored",
			 names(o->ignored, o->nignored));
}

json_t *sk_json_expiry(long requests_deleted, long expired, long contacts_deleted)
{
	return json_pack("{s:I,s:I,s:I}", "requests_deleted", (json_int_t)requests_deleted,
			 "expired", (json_int_t)expired, "contacts_deleted",
			 (json_int_t)contacts_deleted);
}

json_t *sk_json_init(const char *database, const char *key_file, int key_created)
{
	return json_pack("{s:s,s:s,s:b}", "database", database, "key_file", key_file,
			 "key_created", key_created);
}
