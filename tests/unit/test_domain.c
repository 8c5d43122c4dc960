/* test_domain.c: core hands out domain structs with enums (core/domain.c): every word of each
 * vocabulary list converts from a stored record and back to the same word, a word that is in
 * no list never reads as a valid value, and a database tampered with behind samtycke's back
 * gives what core.h promises (a status: unknown, denied by the gate, repaired by replay; an
 * action, method or change type: SK_ERR_CORRUPT naming table and column). */
#include "testlib.h"

#include <jansson.h>
#include <sqlite3.h>

#include "render/render.h" /* the names as printed (render/json.c) */
#include "util/str.h"

static void rec_event(struct sk_event_rec *r, const char *action, const char *method)
{
	memset(r, 0, sizeof(*r));
	r->seq = 9;
	sk_strlcpy(r->id, "e_aaaaaaaaaaaaaaaaaaaaaaaa", sizeof(r->id));
	sk_strlcpy(r->contact_id, "c_aaaaaaaaaaaaaaaaaaaaaaaa", sizeof(r->contact_id));
	sk_strlcpy(r->purpose, "newsletter", sizeof(r->purpose));
	sk_strlcpy(r->action, action, sizeof(r->action));
	sk_strlcpy(r->method, method, sizeof(r->method));
	sk_strlcpy(r->source, "form:newsletter https://www.example.com/", sizeof(r->source));
	sk_strlcpy(r->lang, "sv", sizeof(r->lang));
	sk_strlcpy(r->actor, "test", sizeof(r->actor));
	r->occurred_at = 1764400000;
	r->recorded_at = 1764400001;
	r->valid_until = 1827472000;
	r->notice_version = 3;
	r->flags = SK_EV_DOUBLE_OPT_IN;
	for (int i = 0; i < SK_HASH_LEN; i++)
		r->notice_sha256[i] = (uint8_t)(i * 7);
}

/* Every action and every method: the enum names the stored word, and the rest is copied. */
static void every_action_and_method_round_trips(void **state)
{
	(void)state;
	struct sk_event_rec r;
	struct sk_consent_event ev;
	for (int a = 0; a < SK_NACTIONS; a++) {
		for (int m = 0; m < SK_NMETHODS; m++) {
			const char *where = "untouched";
			rec_event(&r, sk_action_name((enum sk_action)a),
				  sk_method_name((enum sk_method)m));
			assert_int_equal(sk__event_from_rec(&r, &ev, &where), 0);
			assert_string_equal(where, "untouched");
			assert_int_equal(ev.action, a);
			assert_int_equal(ev.method, m);
			assert_string_equal(sk_action_name(ev.action), r.action);
			assert_string_equal(sk_method_name(ev.method), r.method);
			assert_int_equal(ev.seq, 9);
			assert_string_equal(ev.id, r.id);
			assert_string_equal(ev.contact_id, r.contact_id);
			assert_string_equal(ev.purpose, "newsletter");
			assert_string_equal(ev.source, r.source);
			assert_string_equal(ev.lang, "sv");
			assert_string_equal(ev.actor, "test");
			assert_int_equal(ev.occurred_at, r.occurred_at);
			assert_int_equal(ev.recorded_at, r.recorded_at);
			assert_int_equal(ev.valid_until, r.valid_until);
			assert_int_equal(ev.notice_version, 3);
			assert_int_equal(ev.flags, SK_EV_DOUBLE_OPT_IN);
			assert_memory_equal(ev.notice_sha256, r.notice_sha256, SK_HASH_LEN);
			/* the JSON shape prints the stored words */
			json_t *j = sk_json_event(&ev);
			assert_non_null(j);
			assert_string_equal(json_string_value(json_object_get(j, "action")),
					    r.action);
			assert_string_equal(json_string_value(json_object_get(j, "method")),
					    r.method);
			json_decref(j);
		}
	}
}

/* Every status, in a state and in a change; every change type. */
static void every_status_and_change_type_round_trips(void **state)
{
	(void)state;
	for (int s = 0; s < SK_NSTATUSES; s++) {
		const char *word = sk_status_name((enum sk_status)s);
		struct sk_state_rec r = {.seq = 4, .updated_at = 5, .valid_until = 6,
					 .notice_version = 2};
		struct sk_state st;
		sk_strlcpy(r.contact_id, "c_aaaaaaaaaaaaaaaaaaaaaaaa", sizeof(r.contact_id));
		sk_strlcpy(r.purpose, "offers", sizeof(r.purpose));
		sk_strlcpy(r.event_id, "e_bbbbbbbbbbbbbbbbbbbbbbbb", sizeof(r.event_id));
		sk_strlcpy(r.status, word, sizeof(r.status));
		sk__state_from_rec(&r, &st);
		assert_int_equal(st.status, s);
		assert_string_equal(sk_status_name(st.status), word);
		assert_int_equal(sk__status_from_stored(word), s);
		assert_string_equal(st.contact_id, r.contact_id);
		assert_string_equal(st.purpose, "offers");
		assert_string_equal(st.event_id, r.event_id);
		assert_int_equal(st.seq, 4);
		assert_int_equal(st.updated_at, 5);
		assert_int_equal(st.valid_until, 6);
		assert_int_equal(st.notice_version, 2);
		/* the state as the record reads it and as the domain reads it agree */
		assert_int_equal(sk_state_status(&st, 7), sk_state_effective(&r, 7));
		assert_int_equal(sk_state_status(&st, 5), sk_state_effective(&r, 5));

		struct sk_change_rec cr = {.seq = 11, .at = 12};
		struct sk_change ch;
		sk_strlcpy(cr.type, "consent", sizeof(cr.type));
		sk_strlcpy(cr.status, word, sizeof(cr.status));
		assert_int_equal(sk__change_from_rec(&cr, &ch, NULL), 0);
		assert_int_equal(ch.type, SK_CHG_CONSENT);
		assert_int_equal(ch.status, s);
	}
	for (int k = 0; k < SK_NCHANGES; k++) {
		struct sk_change_rec cr = {.seq = 11, .at = 12};
		struct sk_change ch;
		const char *where = "untouched";
		sk_strlcpy(cr.type, sk_change_type_name((enum sk_change_type)k), sizeof(cr.type));
		sk_strlcpy(cr.contact_id, "c_aaaaaaaaaaaaaaaaaaaaaaaa", sizeof(cr.contact_id));
		assert_int_equal(sk__change_from_rec(&cr, &ch, &where), 0);
		assert_string_equal(where, "untouched");
		assert_int_equal(ch.type, k);
		assert_string_equal(sk_change_type_name(ch.type), cr.type);
		assert_int_equal(ch.status, SK_ST_UNKNOWN); /* "": not about a consent */
		assert_int_equal(ch.seq, 11);
		assert_int_equal(ch.at, 12);
		assert_string_equal(ch.contact_id, cr.contact_id);
		assert_string_equal(ch.purpose, "");
		json_t *j = sk_json_change(&ch);
		assert_string_equal(json_string_value(json_object_get(j, "type")), cr.type);
		assert_true(json_is_null(json_object_get(j, "status")));
		json_decref(j);
	}
}

/* Words in no list: a status is unknown (never a valid one); anything else is corrupt,
 * named by table and column. */
static void unknown_stored_words(void **state)
{
	(void)state;
	static const char *const bogus[] = {"bogus", "", "Given", "given ", "GIVE", "expire\n",
					    "consent.given", "missing"};
	for (size_t i = 0; i < sizeof(bogus) / sizeof(bogus[0]); i++) {
		const char *w = bogus[i];
		assert_int_equal(sk__status_from_stored(w), SK_ST_UNKNOWN);

		struct sk_state_rec sr = {0};
		struct sk_state st;
		sk_strlcpy(sr.status, w, sizeof(sr.status));
		sk__state_from_rec(&sr, &st);
		assert_int_equal(st.status, SK_ST_UNKNOWN);

		struct sk_event_rec r;
		struct sk_consent_event ev;
		const char *where = NULL;
		rec_event(&r, w, "form");
		assert_int_equal(sk__event_from_rec(&r, &ev, &where), SK_ERR_CORRUPT);
		assert_string_equal(where, "consent_ledger.action");
		rec_event(&r, "give", w);
		where = NULL;
		assert_int_equal(sk__event_from_rec(&r, &ev, &where), SK_ERR_CORRUPT);
		assert_string_equal(where, "consent_ledger.method");
		assert_int_equal(sk__event_from_rec(&r, &ev, NULL), SK_ERR_CORRUPT);

		struct sk_change_rec cr = {0};
		struct sk_change ch;
		sk_strlcpy(cr.type, w, sizeof(cr.type));
		where = NULL;
		assert_int_equal(sk__change_from_rec(&cr, &ch, &where), SK_ERR_CORRUPT);
		assert_string_equal(where, "changes.type");
		sk_strlcpy(cr.type, "consent", sizeof(cr.type));
		sk_strlcpy(cr.status, w, sizeof(cr.status));
		assert_int_equal(sk__change_from_rec(&cr, &ch, NULL), 0);
		assert_int_equal(ch.status, SK_ST_UNKNOWN);
	}
	assert_int_equal(sk__status_from_stored(NULL), SK_ST_UNKNOWN);
	/* missing is no status and has no name */
	assert_null(sk_status_name(SK_ST_MISSING));
}

static void tamper(struct tenv *t, const char *sql)
{
	assert_true(t_db_exec(t->db, sql) > 0);
}

struct seen {
	int n;
	enum sk_status last;
	enum sk_status stored, derived;
};

static int see_state(void *arg, const struct sk_state *st)
{
	struct seen *s = arg;
	s->n++;
	s->last = st->status;
	return 0;
}

static int see_event(void *arg, const struct sk_consent_event *ev)
{
	(void)ev;
	((struct seen *)arg)->n++;
	return 0;
}

static int see_change(void *arg, const struct sk_change *ch)
{
	struct seen *s = arg;
	s->n++;
	s->last = ch->status;
	return 0;
}

static int see_diff(void *arg, const struct sk_replay_diff *d)
{
	struct seen *s = arg;
	s->n++;
	s->stored = d->stored;
	s->derived = d->derived;
	return 0;
}

/* A stored status that is no word: read as unknown everywhere core hands it out, denied by
 * the gate (fail closed), reported and repaired by replay. */
static void tampered_status_reads_as_unknown(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	struct sk_state st;
	struct seen s = {0};
	long ndiff = -1;
	assert_int_equal(t_consent(t, "dora@example.com", "offers", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_string_equal(t_gate(t, "dora@example.com", "offers", 0), "consent");
	assert_int_equal(sk_contact_find(t->core, "dora@example.com", id, &t->err), 0);

	tamper(t, "UPDATE consent_state SET status = 'granted'");
	tamper(t, "UPDATE changes SET status = 'granted' WHERE type = 'consent'");
	assert_int_equal(sk_consent_state(t->core, id, "offers", &st, &t->err), 0);
	assert_int_equal(st.status, SK_ST_UNKNOWN);
	assert_int_equal(sk_state_status(&st, sk_time_now()), SK_ST_UNKNOWN);
	assert_int_equal(sk_consent_states(t->core, id, see_state, &s, &t->err), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last, SK_ST_UNKNOWN);
	json_t *j = sk_json_state(&st, sk_time_now());
	assert_string_equal(json_string_value(json_object_get(j, "status")), "unknown");
	json_decref(j);
	s = (struct seen){0};
	assert_int_equal(sk_changes(t->core, 0, 0, see_change, &s, &t->err), 0);
	assert_true(s.n >= 2); /* the contact, then the consent */
	assert_int_equal(s.last, SK_ST_UNKNOWN);
	struct sk_proof p;
	assert_int_equal(sk_consent_proof(t->core, "dora@example.com", "offers", &p, &t->err), 0);
	assert_int_equal(p.state.status, SK_ST_UNKNOWN);
	assert_int_equal(p.event.action, SK_ACT_GIVE);
	sk_proof_reset(&p);
	/* the gate does not read it as given */
	struct sk_gate_result g;
	sk_gate_check(t->core, "dora@example.com", "offers", sk_time_now(), &g);
	assert_false(g.allowed);
	assert_int_equal(g.reason, SK_RSN_NO_CONSENT);

	/* replay: stored unknown, the ledger says given; rebuilt, the gate allows again */
	s = (struct seen){0};
	assert_int_equal(sk_ledger_replay(t->core, 0, see_diff, &s, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 1);
	assert_int_equal(s.stored, SK_ST_UNKNOWN);
	assert_int_equal(s.derived, SK_ST_GIVEN);
	assert_int_equal(sk_ledger_replay(t->core, 1, NULL, NULL, &ndiff, &t->err), 0);
	assert_string_equal(t_gate(t, "dora@example.com", "offers", 0), "consent");

	/* a state with no ledger behind it is missing on the ledger's side */
	tamper(t, "DELETE FROM consent_state");
	s = (struct seen){0};
	assert_int_equal(sk_ledger_replay(t->core, 0, see_diff, &s, &ndiff, &t->err), 0);
	assert_int_equal(ndiff, 1);
	assert_int_equal(s.stored, SK_ST_MISSING);
	assert_int_equal(s.derived, SK_ST_GIVEN);
	tenv_free(t);
}

/* On legitimate interest, "nothing recorded" allows: a tampered status must not. And a
 * valid_until that is no integer (it would read as 0, "no limit") fails the gate closed. */
static void tampered_state_never_allows(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	assert_int_equal(t_apply_offers_li(t), 0);
	assert_int_equal(sk_policy_purpose(sk_core_policy(t->core), "offers")->basis,
			 SK_BASIS_LEGITIMATE_INTEREST);
	assert_int_equal(t_consent(t, "li@example.com", "offers", SK_ACT_WITHDRAW, "api", "crm", 0), 0);
	assert_string_equal(t_gate(t, "li@example.com", "offers", 0), "objected");
	tamper(t, "UPDATE consent_state SET status = 'granted' WHERE purpose = 'offers'");
	assert_string_equal(t_gate(t, "li@example.com", "offers", 0), "error");

	assert_int_equal(t_consent(t, "vu@example.com", "newsletter", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_string_equal(t_gate(t, "vu@example.com", "newsletter", 0), "consent");
	if (!t_pg()) { /* a BIGINT column of PostgreSQL holds no text */
		tamper(t, "UPDATE consent_state SET valid_until = 'never' WHERE purpose = 'newsletter'");
		assert_string_equal(t_gate(t, "vu@example.com", "newsletter", 0), "error");
	}
	tenv_free(t);
}

/* A stored action, method or change type that is no word: the read fails as corrupt, names
 * table and column (never the word), and hands nothing on for that row. */
static void tampered_words_are_corrupt(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	char id[SK_ID_LEN + 1];
	struct seen s = {0};
	struct sk_proof p;
	assert_int_equal(t_consent(t, "erik@example.com", "offers", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_int_equal(t_consent(t, "erik@example.com", "newsletter", SK_ACT_GIVE, "api", "crm", 0), 0);
	assert_int_equal(sk_contact_find(t->core, "erik@example.com", id, &t->err), 0);
	assert_int_equal(sk_consent_history(t->core, id, see_event, &s, &t->err), 0);
	assert_int_equal(s.n, 2);

	tamper(t, "UPDATE consent_ledger SET action = 'grant' WHERE purpose = 'newsletter'");
	s = (struct seen){0};
	assert_int_equal(sk_consent_history(t->core, id, see_event, &s, &t->err), SK_ERR_CORRUPT);
	assert_int_equal(s.n, 1); /* the good row before it, not the corrupt one */
	assert_non_null(strstr(t->err.msg, "consent_ledger.action"));
	assert_null(strstr(t->err.msg, "grant"));
	assert_int_equal(sk_consent_proof(t->core, "erik@example.com", "newsletter", &p, &t->err),
			 SK_ERR_CORRUPT);
	assert_non_null(strstr(t->err.msg, "consent_ledger.action"));
	/* another purpose's proof does not read that row as its event */
	assert_int_equal(sk_consent_proof(t->core, "erik@example.com", "offers", &p, &t->err), 0);
	sk_proof_reset(&p);

	tamper(t, "UPDATE consent_ledger SET action = 'give', method = 'telepathy' "
		  "WHERE purpose = 'newsletter'");
	s = (struct seen){0};
	assert_int_equal(sk_consent_history(t->core, id, see_event, &s, &t->err), SK_ERR_CORRUPT);
	assert_non_null(strstr(t->err.msg, "consent_ledger.method"));
	assert_null(strstr(t->err.msg, "telepathy"));
	tamper(t, "UPDATE consent_ledger SET method = 'api' WHERE purpose = 'newsletter'");
	s = (struct seen){0};
	assert_int_equal(sk_consent_history(t->core, id, see_event, &s, &t->err), 0);
	assert_int_equal(s.n, 2);

	s = (struct seen){0};
	assert_int_equal(sk_changes(t->core, 0, 0, see_change, &s, &t->err), 0);
	int all = s.n;
	tamper(t, "UPDATE changes SET type = 'mystery' WHERE seq = (SELECT MAX(seq) FROM changes)");
	s = (struct seen){0};
	assert_int_equal(sk_changes(t->core, 0, 0, see_change, &s, &t->err), SK_ERR_CORRUPT);
	assert_int_equal(s.n, all - 1);
	assert_non_null(strstr(t->err.msg, "changes.type"));
	assert_null(strstr(t->err.msg, "mystery"));
	/* the hash chain still verifies: the ledger rows are as written again */
	int64_t bad, count;
	assert_int_equal(sk_audit_verify(t->core, &bad, &count, NULL, &t->err), 0);
	assert_int_equal(count, 2);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_action_and_method_round_trips),
		cmocka_unit_test(every_status_and_change_type_round_trips),
		cmocka_unit_test(unknown_stored_words),
		cmocka_unit_test(tampered_status_reads_as_unknown),
		cmocka_unit_test(tampered_words_are_corrupt),
		cmocka_unit_test(tampered_state_never_allows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
