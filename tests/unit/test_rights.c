/* test_rights.c: erasure leaves no byte of the person in the database or its WAL and keeps
 * the ledger verifiable; a suppressed address comes back only through its own confirmed
 * sign-up; withdrawal deletes the fields no purpose needs any more; purge removes exactly
 * what its dry run lists, by reason; the export holds everything. */
#include "testlib.h"

#include <jansson.h>
#include <sqlite3.h>
#include <time.h>

#include "render/render.h"
#include "sync/sync.h"
#include "util/sktime.h"

static const int64_t DAY = 86400;

/* Core's answers as the command line and the API print them (render/rights.c, receipt.c). */
static int forget_json(struct sk_core *c, const char *id, json_t **out, struct sk_errctx *err)
{
	struct sk_erasure_receipt r;
	*out = NULL;
	int rc = sk_forget(c, id, &r, err);
	if (!rc)
		*out = sk_json_erasure(&r);
	return rc;
}

static int forget_email_json(struct sk_core *c, const char *email, json_t **out,
			     struct sk_errctx *err)
{
	struct sk_erasure_receipt r;
	*out = NULL;
	int rc = sk_forget_email(c, email, &r, err);
	if (!rc)
		*out = sk_json_erasure(&r);
	return rc;
}

static int purge_json(struct sk_core *c, int64_t now, int pending_days, int dry_run,
		      json_t **out, struct sk_errctx *err)
{
	struct sk_purge_report r;
	*out = NULL;
	int rc = sk_purge(c, now, pending_days, dry_run, &r, err);
	if (!rc) {
		*out = sk_json_purge(&r);
		sk_purge_report_reset(&r);
	}
	return rc;
}

static int export_json(struct sk_core *c, const char *id, const char *lang, json_t **out,
		       struct sk_errctx *err)
{
	struct sk_access_export x;
	*out = NULL;
	int rc = sk_export(c, id, lang, &x, err);
	if (!rc) {
		*out = sk_json_export(&x);
		sk_access_export_reset(&x);
	}
	return rc;
}

static int receipt_json(struct sk_core *c, const char *event_id, json_t **out,
			struct sk_errctx *err)
{
	struct sk_consent_receipt r;
	*out = NULL;
	int rc = sk_receipt(c, event_id, &r, err);
	if (!rc)
		*out = sk_json_receipt(&r);
	return rc;
}

static int file_has(const char *path, const char *needle)
{
	size_t len;
	if (access(path, F_OK) != 0)
		return 0;
	char *data = t_read_file(path, &len);
	int found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

/* On PostgreSQL: the files of the tables and indexes (the WAL keeps what was written until
 * its segments are recycled: docs/internals/store.md, "Erasure on PostgreSQL"). */
static int db_has(struct tenv *t, const char *needle)
{
	char wal[160];
	if (t_pg())
		return t_db_contains_in(t->db, needle, strlen(needle), 0);
	snprintf(wal, sizeof(wal), "%s-wal", t->db);
	return file_has(t->db, needle) || file_has(wal, needle);
}

/* db_has for bytes: the database file or its WAL holds p[0..n) */
static int db_has_bytes(struct tenv *t, const uint8_t *p, size_t n)
{
	char path[160];
	if (t_pg())
		return t_pg_tuple_has(t->db, p, n);
	for (int i = 0; i < 2; i++) {
		size_t len;
		snprintf(path, sizeof(path), i ? "%s-wal" : "%s", t->db);
		if (access(path, F_OK) != 0)
			continue;
		char *data = t_read_file(path, &len);
		int found = memmem(data, len, p, n) != NULL;
		free(data);
		if (found)
			return 1;
	}
	return 0;
}

#define SEALED_MAX 8
/* The stored bytes of a contact: its wrapped data key and each sealed field (at most
 * SEALED_MAX, each at most 512 bytes); returns how many. */
static size_t sealed_of(struct tenv *t, const char *id, uint8_t out[SEALED_MAX][512],
			size_t lens[SEALED_MAX])
{
	size_t n = t_db_blobs(t->db, "SELECT wrapped FROM contact_keys WHERE contact_id = ?1"
			      " UNION ALL SELECT sealed FROM contact_fields WHERE contact_id = ?1", id,
			      &out[0][0], 512, lens, SEALED_MAX);
	for (size_t i = 0; i < n; i++)
		assert_true(lens[i] >= 16);
	return n;
}

static int give_with(struct tenv *t, const char *email, const char *purpose, const char *evidence,
		     int64_t at, int doi)
{
	struct sk_consent_req r = {.email = email, .purpose = purpose, .action = SK_ACT_GIVE,
				   .method = "form", .source = "form:test", .lang = "en",
				   .occurred_at = at, .evidence_json = evidence,
				   .double_opt_in = doi};
	return sk_consent_record(t->core, &r, NULL, &t->err);
}

static void erasure_leaves_nothing(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_field_value f[] = {{"first_name", "Quintessa"}, {"last_name", "Zwonkowitz"},
				     {"company", "Yttergrund AB"}, {"phone", "+46 70 999 88 77"}};
	const char *canary[] = {"zq-canary-7f3e@canary.example", "Quintessa", "Zwonkowitz",
				"Yttergrund", "999 88 77", "203.0.113.199", "CanaryAgent"};
	char id[SK_ID_LEN + 1];
	json_t *receipt;
	int64_t bad, count;

	assert_int_equal(sk_contact_add(t->core, canary[0], f, 4, id, &t->err), 0);
	assert_int_equal(give_with(t, canary[0], "sales_followup",
				   "{\"ip\":\"203.0.113.199\",\"user_agent\":\"CanaryAgent/9.9\"}", 0, 0), 0);
	assert_int_equal(give_with(t, "bystander@example.com", "offers", "{\"ip\":\"192.0.2.1\"}", 0, 0), 0);
	struct sk_field_value e[] = {{"last_name", "Zwonkowitz-Berg"}};
	assert_int_equal(sk_contact_edit(t->core, id, e, 1, "test", &t->err), 0);
	/* positive control: the scan finds clear text that is there (the purpose's name) */
	assert_true(db_has(t, "sales_followup"));
	for (size_t i = 0; i < sizeof(canary) / sizeof(canary[0]); i++)
		assert_false(db_has(t, canary[i])); /* sealed from the start */
	/* what is stored of the person is the wrapped key and the sealed fields: each is found
	 * in the files before the erasure (the scan's positive control), none after it */
	uint8_t sealed[SEALED_MAX][512];
	size_t slen[SEALED_MAX];
	size_t nsealed = sealed_of(t, id, sealed, slen);
	assert_int_equal(nsealed, 1 + 5); /* the key; email, four fields */
	for (size_t i = 0; i < nsealed; i++)
		assert_true(db_has_bytes(t, sealed[i], slen[i]));

	assert_int_equal(forget_json(t->core, id, &receipt, &t->err), 0);
	assert_true(json_is_false(json_object_get(receipt, "scrub_pending")));
	for (size_t i = 0; i < nsealed; i++)
		assert_false(db_has_bytes(t, sealed[i], slen[i]));
	assert_string_equal(json_string_value(json_object_get(receipt, "contact_id")), id);
	assert_true(json_is_true(json_object_get(receipt, "suppressed")));
	assert_int_equal(json_integer_value(json_object_get(receipt, "ledger_events_kept")), 1);
	json_decref(receipt);

	/* nothing of the person's rows is left; the ledger still verifies */
	const char *tables[] = {"contacts", "contact_fields", "contact_keys", "consent_state",
				"rectifications"};
	for (size_t i = 0; i < 5; i++) {
		char sql[160];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s = '%s'", tables[i],
			 i == 0 ? "id" : "contact_id", id);
		assert_int_equal(t_db_int(t->db, sql), 0);
	}
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(count, 2);
	assert_string_equal(t_gate(t, canary[0], "sales_followup", 0), "erased");
	assert_string_equal(t_gate(t, "bystander@example.com", "offers", 0), "consent");

	/* it cannot come back by contact creation or consent */
	assert_int_equal(sk_contact_add(t->core, canary[0], NULL, 0, id, &t->err), SK_ERR_SUPPRESSED);
	assert_int_equal(give_with(t, canary[0], "newsletter", NULL, 0, 0), SK_ERR_SUPPRESSED);
	/* not even by a double opt-in give: forms never mail a suppressed address */
	struct sk_consent_req r = {.email = canary[0], .purpose = "newsletter",
				   .action = SK_ACT_GIVE, .method = "form", .source = "form:newsletter",
				   .lang = "en", .double_opt_in = 1};
	assert_int_equal(sk_consent_record(t->core, &r, NULL, &t->err), SK_ERR_SUPPRESSED);
	assert_string_equal(t_gate(t, canary[0], "newsletter", 0), "erased");
	/* only when the controller lifts it on the person's request */
	int yes;
	assert_int_equal(sk_unsuppress(t->core, canary[0], &t->err), 0);
	assert_int_equal(sk_suppressed(t->core, canary[0], &yes, &t->err), 0);
	assert_false(yes);
	assert_int_equal(sk_unsuppress(t->core, canary[0], &t->err), SK_ERR_NOT_FOUND);
	assert_int_equal(give_with(t, canary[0], "newsletter", NULL, 0, 0), 0);
	assert_string_equal(t_gate(t, canary[0], "newsletter", 0), "consent");
	tenv_free(t);
}

static void forget_unknown_address_suppresses_it(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	json_t *receipt;
	int yes;
	assert_int_equal(forget_email_json(t->core, "never@example.com", &receipt, &t->err), 0);
	assert_true(json_is_null(json_object_get(receipt, "contact_id")));
	json_decref(receipt);
	assert_int_equal(sk_suppressed(t->core, "NEVER@example.com", &yes, &t->err), 0);
	assert_true(yes);
	assert_int_equal(forget_json(t->core, "c_nosuchcontact", &receipt, &t->err), SK_ERR_NOT_FOUND);
	tenv_free(t);
}

static void withdrawal_deletes_unneeded_fields(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_field_value f[] = {{"first_name", "Greta"}, {"last_name", "Holm"},
				     {"company", "Holm & Co"}};
	char id[SK_ID_LEN + 1];
	struct sk_contact ct;
	assert_int_equal(sk_contact_add(t->core, "greta@example.com", f, 3, id, &t->err), 0);
	assert_int_equal(t_consent(t, "greta@example.com", "offers", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, "greta@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	/* offers needs email, first_name, last_name, company; newsletter email, first_name */
	assert_int_equal(t_consent(t, "greta@example.com", "offers", SK_ACT_WITHDRAW, "api", "crm", 0), 0);
	assert_int_equal(sk_contact_get_by_id(t->core, id, &ct, &t->err), 0);
	assert_int_equal(ct.nfields, 2);
	assert_string_equal(ct.fields[0].name, "email");
	assert_string_equal(ct.fields[1].name, "first_name");
	sk_contact_reset(&ct);
	assert_true(db_has(t, "crm")); /* positive control: the scan finds the clear source */
	assert_false(db_has(t, "Holm"));
	assert_int_equal(t_consent(t, "greta@example.com", "newsletter", SK_ACT_REFUSE, "api", "crm", 0), 0);
	assert_int_equal(sk_contact_get_by_id(t->core, id, &ct, &t->err), 0);
	assert_int_equal(ct.nfields, 1);
	assert_string_equal(ct.fields[0].name, "email");
	sk_contact_reset(&ct);
	tenv_free(t);
}

static json_t *ids_of(json_t *res, const char *reason)
{
	return json_object_get(json_object_get(res, "contacts"), reason);
}

static void purge_by_reason_as_dry_run_said(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t now = sk_time_now();
	char id[SK_ID_LEN + 1];
	json_t *dry, *done;

	assert_int_equal(sk_contact_add(t->core, "nobody@example.com", NULL, 0, id, &t->err), 0);
	assert_int_equal(t_consent(t, "gone@example.com", "offers", SK_ACT_GIVE, "form", "f", now - 400 * DAY), 0);
	assert_int_equal(t_consent(t, "gone@example.com", "offers", SK_ACT_WITHDRAW, "api", "crm", now - 300 * DAY), 0);
	assert_int_equal(t_consent(t, "old@example.com", "offers", SK_ACT_GIVE, "import", "crm", now - 1200 * DAY), 0);
	assert_int_equal(t_consent(t, "bare@example.com", "offers", SK_ACT_GIVE, "import", "crm", 0), 0);
	assert_int_equal(give_with(t, "waiting@example.com", "newsletter", NULL, now - 20 * DAY, 1), 0);
	assert_int_equal(t_consent(t, "live@example.com", "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(give_with(t, "fresh@example.com", "newsletter", NULL, 0, 1), 0);

	/* 40 days on: everything without a basis is past its limit */
	int64_t later = now + 40 * DAY;
	assert_int_equal(purge_json(t->core, later, 7, 1, &dry, &t->err), 0);
	assert_int_equal(json_array_size(ids_of(dry, "never_consented")), 1);
	assert_int_equal(json_array_size(ids_of(dry, "withdrawn")), 1);
	assert_int_equal(json_array_size(ids_of(dry, "expired")), 1);
	assert_int_equal(json_array_size(ids_of(dry, "unverified")), 1);
	assert_int_equal(json_array_size(ids_of(dry, "pending")), 2); /* both unconfirmed by now */
	assert_int_equal(json_integer_value(json_object_get(dry, "total")), 6);
	/* the dry run changed nothing */
	assert_string_equal(t_gate(t, "bare@example.com", "offers", 0), "unverified");

	assert_int_equal(purge_json(t->core, later, 7, 0, &done, &t->err), 0);
	assert_true(json_equal(json_object_get(dry, "contacts"), json_object_get(done, "contacts")));
	json_decref(dry);
	json_decref(done);
	assert_string_equal(t_gate(t, "live@example.com", "newsletter", 0), "consent");
	assert_int_equal(sk_contact_find(t->core, "bare@example.com", id, &t->err), SK_ERR_NOT_FOUND);
	/* who withdrew stays opted out; who never consented is not suppressed */
	int yes;
	assert_int_equal(sk_suppressed(t->core, "gone@example.com", &yes, &t->err), 0);
	assert_true(yes);
	assert_int_equal(sk_suppressed(t->core, "nobody@example.com", &yes, &t->err), 0);
	assert_false(yes);
	/* nothing left to purge; the ledger verifies; replay accepts the missing states */
	assert_int_equal(purge_json(t->core, later, 7, 1, &dry, &t->err), 0);
	assert_int_equal(json_integer_value(json_object_get(dry, "total")), 0);
	json_decref(dry);
	int64_t bad, count;
	long ndiff;
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(sk_ledger_replay(t->core, 0, NULL, NULL, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 0);
	tenv_free(t);
}

static void export_holds_everything(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1], key[SK_KEY_STRLEN];
	json_t *doc;
	struct sk_field_value f[] = {{"first_name", "Ingrid"}};
	assert_int_equal(sk_contact_add(t->core, "ingrid@example.com", f, 1, id, &t->err), 0);
	assert_int_equal(give_with(t, "ingrid@example.com", "newsletter", "{\"ip\":\"192.0.2.44\"}", 0, 0), 0);
	struct sk_field_value e[] = {{"first_name", "Inga"}};
	assert_int_equal(sk_contact_edit(t->core, id, e, 1, "api:crm", &t->err), 0);
	assert_int_equal(sk_key_create(t->core, "crm", "read,write", key, &t->err), 0);
	assert_int_equal(sk_key_create(t->core, "writer", "write", key, &t->err), 0);

	assert_int_equal(export_json(t->core, id, "sv", &doc, &t->err), 0);
	json_t *fields = json_object_get(json_object_get(doc, "contact"), "fields");
	assert_string_equal(json_string_value(json_object_get(fields, "first_name")), "Inga");
	json_t *c0 = json_array_get(json_object_get(doc, "consents"), 0);
	assert_string_equal(json_string_value(json_object_get(c0, "status")), "given");
	/* the ISO/IEC TS 27560 record fields: from the event that set the state and the policy */
	json_t *h0 = json_array_get(json_object_get(c0, "history"), 0);
	assert_string_equal(json_string_value(json_object_get(c0, "language")), "en");
	assert_string_equal(json_string_value(json_object_get(c0, "validity")), "24 months");
	assert_string_equal(json_string_value(json_object_get(c0, "retention")), "30 days");
	assert_string_equal(json_string_value(json_object_get(c0, "jurisdiction")), "SE");
	assert_non_null(json_object_get(c0, "actor"));
	assert_non_null(strstr(json_string_value(json_object_get(c0, "withdrawal_method")),
			       "dpo@example.com"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(h0, "evidence"), "ip")),
			    "192.0.2.44");
	assert_non_null(strstr(json_string_value(json_object_get(h0, "notice_text")), "our newsletter"));
	json_t *p0 = json_array_get(json_object_get(doc, "purposes"), 0);
	assert_string_equal(json_string_value(json_object_get(p0, "title")), "Nyhetsbrev");
	assert_string_equal(json_string_value(json_object_get(p0, "legal_basis")), "consent");
	assert_int_equal(json_array_size(json_object_get(doc, "shared_with")), 1);
	json_decref(doc);
	/* a webhook endpoint is a system the data is shared with too */
	char wid[SK_ID_LEN + 1], secret[SK_WEBHOOK_SECRET_MAX];
	assert_int_equal(sk_webhook_add(t->core, "http://127.0.0.1:9/hooks", "all", "ma", 1, wid,
					secret, &t->err), 0);
	assert_int_equal(export_json(t->core, id, "sv", &doc, &t->err), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "shared_with")), 2);
	json_t *w = json_array_get(json_object_get(doc, "shared_with"), 1);
	assert_string_equal(json_string_value(json_object_get(w, "kind")), "webhook");
	json_t *r0 = json_array_get(json_object_get(doc, "rectifications"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "actor")), "api:crm");
	char *text = json_dumps(r0, 0);
	assert_null(strstr(text, "Inga"));
	free(text);
	assert_true(json_is_array(json_object_get(json_object_get(doc, "behaviour"), "scores")));
	json_decref(doc);
	assert_int_equal(export_json(t->core, "c_nosuchcontact", "en", &doc, &t->err), SK_ERR_NOT_FOUND);
	tenv_free(t);
}

/* One text column of one ledger row, read with SQLite itself. */
static void ledger_col(struct tenv *t, const char *col, int64_t seq, char *out, size_t outlen)
{
	char sql[128], seqs[24];
	uint8_t v[512];
	size_t len;
	snprintf(sql, sizeof(sql), "SELECT %s FROM consent_ledger WHERE seq = CAST(?1 AS BIGINT)", col);
	snprintf(seqs, sizeof(seqs), "%lld", (long long)seq);
	assert_int_equal(t_db_blobs(t->db, sql, seqs, v, sizeof(v), &len, 1), 1);
	snprintf(out, outlen, "%.*s", (int)len, (const char *)v);
}

static int json_event_cb(void *arg, const struct sk_event_rec *rec)
{
	struct sk_consent_event ev;
	assert_int_equal(sk__event_from_rec(rec, &ev, NULL), 0);
	json_t *e = sk_json_event(&ev);
	*(char **)arg = json_dumps(e, 0);
	json_decref(e);
	return 0;
}

static int history_cb(void *arg, const struct sk_consent_event *ev)
{
	json_t *e = sk_json_event(ev);
	json_array_append_new(arg, e);
	return 0;
}

/* A ledger row as an older samtycke wrote it: the form's page URL with its query in the
 * source. Appended with a correct hash, so the chain still verifies. */
static void append_old_row(struct tenv *t, const char *contact_id, const char *source,
			   char id_out[SK_ID_LEN + 1])
{
	struct sk_event_rec ev = {0};
	uint8_t prev[SK_HASH_LEN];
	assert_int_equal(sk_store_begin(t->store, 1), 0);
	assert_int_equal(sk_store_ledger_last(t->store, &ev.seq, prev), 0);
	ev.seq++;
	memcpy(ev.prev_hash, prev, SK_HASH_LEN);
	assert_int_equal(sk_id_new("e_", ev.id), 0);
	sk_strlcpy(ev.contact_id, contact_id, sizeof(ev.contact_id));
	sk_strlcpy(ev.purpose, "offers", sizeof(ev.purpose)); /* a purpose with a state, so that the export shows it */
	sk_strlcpy(ev.action, "give", sizeof(ev.action));
	ev.occurred_at = ev.recorded_at = sk_time_now();
	sk_strlcpy(ev.method, "form", sizeof(ev.method));
	assert_true(strlen(source) < sizeof(ev.source));
	sk_strlcpy(ev.source, source, sizeof(ev.source));
	ev.notice_version = 1;
	sk_strlcpy(ev.lang, "en", sizeof(ev.lang));
	sk_strlcpy(ev.actor, "form", sizeof(ev.actor));
	sk_ledger_hash(&ev, ev.hash);
	assert_int_equal(sk_store_ledger_append(t->store, &ev), 0);
	assert_int_equal(sk_store_commit(t->store), 0);
	sk_strlcpy(id_out, ev.id, SK_ID_LEN + 1);
}

static void sources_never_serve_a_query(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	const char *old = "form:newsletter v1 https://anna:pw@www.example.com/signup"
			  "?email=anna.old%40example.com&name=Anna#ref=anna.old@example.com";
	char id[SK_ID_LEN + 1], eid[SK_ID_LEN + 1], stored[300], *js = NULL;
	struct sk_consent_event ev;
	json_t *doc, *receipt;
	int64_t bad, count;

	assert_int_equal(sk_contact_add(t->core, "anna.old@example.com", NULL, 0, id, &t->err), 0);
	/* on the way in (API, CLI, import): the URL in the source loses userinfo, query, fragment */
	struct sk_consent_req r = {.email = "anna.old@example.com", .purpose = "offers",
				   .action = SK_ACT_GIVE, .method = "api", .lang = "en",
				   .source = "crm https://www.example.com/lp?email=anna.old%40example.com"};
	assert_int_equal(sk_consent_record(t->core, &r, &ev, &t->err), 0);
	assert_string_equal(ev.source, "crm https://www.example.com/lp");
	ledger_col(t, "source", ev.seq, stored, sizeof(stored));
	assert_string_equal(stored, "crm https://www.example.com/lp");

	/* an old row keeps its text in the file (the hash covers it) but is never served so */
	append_old_row(t, id, old, eid);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	ledger_col(t, "source", ev.seq + 1, stored, sizeof(stored));
	assert_string_equal(stored, old);
	assert_int_equal(export_json(t->core, id, "en", &doc, &t->err), 0);
	js = json_dumps(doc, 0);
	assert_non_null(strstr(js, "https://www.example.com/signup"));
	assert_null(strstr(js, "email="));
	assert_null(strstr(js, "pw@"));
	assert_null(strstr(js, "ref="));
	free(js);
	json_decref(doc);

	assert_int_equal(forget_json(t->core, id, &receipt, &t->err), 0);
	json_decref(receipt);
	/* after erasure: the consent receipt, the event JSON and the history */
	assert_int_equal(receipt_json(t->core, eid, &receipt, &t->err), 0);
	assert_string_equal(json_string_value(json_object_get(receipt, "collectionMethod")),
			    "Web form (source: form:newsletter v1 https://www.example.com/signup)");
	json_decref(receipt);
	assert_int_equal(sk_store_ledger_get(t->store, eid, json_event_cb, &js), 0);
	assert_non_null(strstr(js, "\"source\": \"form:newsletter v1 https://www.example.com/signup\""));
	assert_null(strstr(js, "anna"));
	free(js);
	json_t *hist = json_array();
	assert_int_equal(sk_consent_history(t->core, id, history_cb, hist, &t->err), 0);
	assert_int_equal(json_array_size(hist), 2);
	js = json_dumps(hist, 0);
	assert_null(strstr(js, "anna"));
	assert_null(strstr(js, "email="));
	free(js);
	json_decref(hist);
	tenv_free(t);
}

/* A ledger row with a text longer than its field (written behind samtycke's back) is a
 * broken chain at that row, named by table and column; it is never read cut. */
static void audit_reports_overlong_ledger_text(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	int64_t bad, count;
	assert_int_equal(t_consent(t, "ovl@example.com", "offers", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_int_equal(t_consent(t, "ovl@example.com", "newsletter", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(t_db_exec(t->db, t_pg() ? "UPDATE consent_ledger SET actor = repeat('a', 300)"
				   " WHERE seq = 2" : "UPDATE consent_ledger SET actor ="
				   " printf('%.300c', 'a') WHERE seq = 2"), 1);
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), SK_ERR_CHAIN_BROKEN);
	assert_int_equal(bad, 2);
	assert_non_null(strstr(t->err.msg, "sequence number 2"));
	assert_non_null(strstr(t->err.msg, "consent_ledger.actor"));
	/* any other read of that row fails the same way, naming the place */
	json_t *hist = json_array();
	char id[SK_ID_LEN + 1];
	assert_int_equal(sk_contact_find(t->core, "ovl@example.com", id, &t->err), 0);
	assert_int_equal(sk_consent_history(t->core, id, history_cb, hist, &t->err), SK_ERR_CORRUPT);
	assert_non_null(strstr(t->err.msg, "consent_ledger.actor"));
	json_decref(hist);
	tenv_free(t);
}

static int change_cb(void *arg, const struct sk_change *ch)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 512 - n, "%s%s:%s:%s", n ? " " : "", sk_change_type_name(ch->type),
		 ch->purpose, ch->status == SK_ST_UNKNOWN ? "" : sk_status_name(ch->status));
	return 0;
}

/* The changes after seq `after`, as "type:purpose:status" words. */
static const char *changes_after(struct tenv *t, int64_t after, char out[512])
{
	out[0] = '\0';
	assert_int_equal(sk_changes(t->core, after, 100, change_cb, out, &t->err), 0);
	return out;
}

static int64_t change_head(struct tenv *t)
{
	char buf[512];
	int64_t head = 0;
	changes_after(t, 0, buf);
	for (const char *p = buf; *p; p++)
		head += *p == ' ';
	return buf[0] ? head + 1 : 0;
}

static void field_cleanup_emits_a_contact_change(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_field_value f[] = {{"first_name", "Greta"}, {"last_name", "Holm"},
				     {"company", "Holm & Co"}};
	char id[SK_ID_LEN + 1], buf[512];
	const char *e = "greta.feed@example.com";
	assert_int_equal(sk_contact_add(t->core, e, f, 3, id, &t->err), 0);
	assert_int_equal(t_consent(t, e, "offers", SK_ACT_GIVE, "form", "f", 0), 0);
	assert_int_equal(t_consent(t, e, "newsletter", SK_ACT_GIVE, "form", "f", 0), 0);
	int64_t head = change_head(t);
	/* withdrawing offers deletes last_name and company: the consent change, then contact */
	assert_int_equal(t_consent(t, e, "offers", SK_ACT_WITHDRAW, "api", "crm", 0), 0);
	assert_string_equal(changes_after(t, head, buf), "consent:offers:withdrawn contact::");
	head += 2;
	/* giving offers again deletes nothing: no contact change */
	assert_int_equal(t_consent(t, e, "offers", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_string_equal(changes_after(t, head, buf), "consent:offers:given");
	head += 1;
	/* a withdrawal whose fields another live purpose still needs deletes nothing either */
	assert_int_equal(t_consent(t, e, "newsletter", SK_ACT_WITHDRAW, "api", "crm", 0), 0);
	assert_string_equal(changes_after(t, head, buf), "consent:newsletter:withdrawn");
	head += 1;
	/* a refusal of offers deletes first_name, which nothing live needs now */
	assert_int_equal(t_consent(t, e, "offers", SK_ACT_REFUSE, "api", "crm", 0), 0);
	assert_string_equal(changes_after(t, head, buf), "consent:offers:refused contact::");
	struct sk_contact ct;
	assert_int_equal(sk_contact_get_by_id(t->core, id, &ct, &t->err), 0);
	assert_int_equal(ct.nfields, 1); /* the address alone */
	sk_contact_reset(&ct);
	tenv_free(t);
}

/* The contact's wrapped data key as stored (the bytes that must leave the WAL). */
static size_t wrapped_key(struct tenv *t, const char *id, uint8_t *out, size_t cap)
{
	size_t n = 0;
	assert_int_equal(t_db_blobs(t->db, "SELECT wrapped FROM contact_keys WHERE contact_id = ?1",
				    id, out, cap, &n, 1), 1);
	assert_true(n > 16);
	return n;
}

/* On PostgreSQL the tuples on the tables' pages, which VACUUM must remove. */
static int wal_has(struct tenv *t, const uint8_t *p, size_t n)
{
	char wal[160];
	size_t len;
	if (t_pg())
		return t_pg_tuple_has(t->db, p, n);
	snprintf(wal, sizeof(wal), "%s-wal", t->db);
	if (access(wal, F_OK) != 0)
		return 0;
	char *data = t_read_file(wal, &len);
	int found = memmem(data, len, p, n) != NULL;
	free(data);
	return found;
}

static void erasure_answers_while_a_reader_holds_the_wal(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_field_value f[] = {{"first_name", "Ruth"}};
	char id[SK_ID_LEN + 1];
	uint8_t wk[256];
	json_t *receipt;
	int64_t since;
	int pending;
	sqlite3 *reader = NULL;
	PGconn *pg_reader = NULL;

	assert_int_equal(sk_contact_add(t->core, "ruth.reader@example.com", f, 1, id, &t->err), 0);
	size_t wn = wrapped_key(t, id, wk, sizeof(wk));
	assert_true(wal_has(t, wk, wn)); /* positive control: the key is in the WAL */
	assert_int_equal(sk_scrub_pending(t->core, &since, &t->err), 0);
	assert_int_equal(since, 0);

	/* another connection holds a read transaction open */
	if (t_pg()) { /* a snapshot, which keeps VACUUM from removing what it could see */
		pg_reader = t_pg_connect(t->db);
		PQclear(PQexec(pg_reader, "BEGIN ISOLATION LEVEL REPEATABLE READ"));
		PGresult *r = PQexec(pg_reader, "SELECT count(*) FROM contacts");
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		PQclear(r);
	} else {
		assert_int_equal(sqlite3_open(t->db, &reader), SQLITE_OK);
		assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM contacts;", NULL,
					      NULL, NULL), SQLITE_OK);
	}
	time_t t0 = time(NULL);
	assert_int_equal(forget_json(t->core, id, &receipt, &t->err), 0);
	assert_true(time(NULL) - t0 <= 2); /* at once, not after the busy timeout */
	assert_string_equal(json_string_value(json_object_get(receipt, "contact_id")), id);
	assert_true(json_is_true(json_object_get(receipt, "scrub_pending")));
	json_decref(receipt);
	assert_int_equal(sk_scrub_pending(t->core, &since, &t->err), 0);
	assert_true(since > 0);
	assert_true(wal_has(t, wk, wn)); /* the reader still keeps it there */
	/* a second erasure meanwhile keeps the time of the oldest one waiting */
	char id2[SK_ID_LEN + 1];
	int64_t since2;
	assert_int_equal(sk_contact_add(t->core, "rut.second@example.com", f, 1, id2, &t->err), 0);
	sleep(1);
	assert_int_equal(forget_json(t->core, id2, &receipt, &t->err), 0);
	assert_true(json_is_true(json_object_get(receipt, "scrub_pending")));
	json_decref(receipt);
	assert_int_equal(sk_scrub_pending(t->core, &since2, &t->err), 0);
	assert_int_equal(since2, since);
	assert_int_equal(sk_scrub_retry(t->core, &pending, &t->err), 0);
	assert_int_equal(pending, 1);

	/* the reader goes: the next retry completes the scrub */
	if (t_pg()) {
		PQclear(PQexec(pg_reader, "COMMIT"));
		PQfinish(pg_reader);
	} else {
		assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(reader);
	}
	assert_int_equal(sk_scrub_retry(t->core, &pending, &t->err), 0);
	assert_int_equal(pending, 0);
	assert_false(wal_has(t, wk, wn));
	assert_false(db_has(t, "ruth.reader"));
	assert_int_equal(sk_scrub_pending(t->core, &since, &t->err), 0);
	assert_int_equal(since, 0);
	/* nothing left to do */
	assert_int_equal(sk_scrub_retry(t->core, &pending, &t->err), 0);
	assert_int_equal(pending, 0);

	/* without a reader the scrub completes within the erasure itself */
	assert_int_equal(sk_contact_add(t->core, "sam.noreader@example.com", f, 1, id, &t->err), 0);
	wn = wrapped_key(t, id, wk, sizeof(wk));
	assert_int_equal(forget_json(t->core, id, &receipt, &t->err), 0);
	assert_true(json_is_false(json_object_get(receipt, "scrub_pending")));
	json_decref(receipt);
	assert_false(wal_has(t, wk, wn));
	assert_int_equal(sk_scrub_pending(t->core, &since, &t->err), 0);
	assert_int_equal(since, 0);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(erasure_leaves_nothing),
		cmocka_unit_test(forget_unknown_address_suppresses_it),
		cmocka_unit_test(withdrawal_deletes_unneeded_fields),
		cmocka_unit_test(purge_by_reason_as_dry_run_said),
		cmocka_unit_test(export_holds_everything),
		cmocka_unit_test(sources_never_serve_a_query),
		cmocka_unit_test(audit_reports_overlong_ledger_text),
		cmocka_unit_test(field_cleanup_emits_a_contact_change),
		cmocka_unit_test(erasure_answers_while_a_reader_holds_the_wal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
