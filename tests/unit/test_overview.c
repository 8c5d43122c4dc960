/* test_overview.c: the staff console's overview and purposes pages: sk_overview on the real
 * store (SQLite, or PostgreSQL under SK_TEST_PG) against the gate's own answers, with a moved
 * clock for expiry, weekly buckets, the outbox, suppressions and the recorded audit; the word
 * diff; the notice history and the policy lint; and the renderer (the chart's text
 * alternative carries the same figures, no style attribute, escaping). */
#include "testlib.h"

#include "core/webhook.h"
#include "render/console.h"
#include "util/sktime.h"

#define DAY 86400

/* ---- sk_overview ---- */

static const struct sk_overview_purpose *ov_purpose(const struct sk_overview *o, const char *id)
{
	for (size_t i = 0; i < o->npurposes; i++)
		if (strcmp(o->purposes[i].purpose->id, id) == 0)
			return &o->purposes[i];
	fail_msg("purpose %s not in the overview", id);
	return NULL;
}

/* The bucket the overview must put an address in, from the gate's own reason. */
static enum sk_ov_count bucket_of_reason(const char *reason)
{
	if (strcmp(reason, "consent") == 0)
		return SK_OV_ALLOWED;
	if (strcmp(reason, "withdrawn") == 0)
		return SK_OV_WITHDRAWN;
	if (strcmp(reason, "refused") == 0)
		return SK_OV_REFUSED;
	if (strcmp(reason, "expired") == 0)
		return SK_OV_EXPIRED;
	if (strcmp(reason, "pending_confirmation") == 0)
		return SK_OV_PENDING;
	if (strcmp(reason, "unverified") == 0)
		return SK_OV_UNVERIFIED;
	if (strcmp(reason, "suppressed") == 0)
		return SK_OV_SUPPRESSED;
	fail_msg("reason %s has no bucket", reason);
	return SK_OV_NCOUNTS;
}

static const char *const people[] = {
	"allowed@example.com", "withdrew@example.com", "refused@example.com",
	"pending@example.com", "unverified@example.com", "suppressed@example.com",
	"allowed2@example.com",
};
#define NPEOPLE (sizeof(people) / sizeof(people[0]))

static void make_people(struct tenv *t)
{
	struct sk_consent_req doi = {.email = people[3], .purpose = "newsletter",
				     .action = SK_ACT_GIVE, .method = "api", .source = "test",
				     .lang = "en", .actor = "test", .double_opt_in = 1};
	assert_int_equal(t_consent(t, people[0], "newsletter", SK_ACT_GIVE, "api", "test", 0), 0);
	assert_int_equal(t_consent(t, people[1], "newsletter", SK_ACT_GIVE, "api", "test", 0), 0);
	assert_int_equal(t_consent(t, people[1], "newsletter", SK_ACT_WITHDRAW, "api", "test", 0), 0);
	assert_int_equal(t_consent(t, people[2], "newsletter", SK_ACT_REFUSE, "api", "test", 0), 0);
	assert_int_equal(sk_consent_record(t->core, &doi, NULL, &t->err), 0);
	assert_int_equal(t_consent(t, people[4], "newsletter", SK_ACT_GIVE, "import", "crm.csv", 0), 0);
	assert_int_equal(t_consent(t, people[5], "newsletter", SK_ACT_GIVE, "api", "test", 0), 0);
	assert_int_equal(sk_suppress(t->core, people[5], "bounced", &t->err), 0);
	/* given 10 months ago: 24 months' validity, so it expires before the other gives */
	assert_int_equal(t_consent(t, people[6], "newsletter", SK_ACT_GIVE, "api", "test",
				   sk_time_now() - 300 * DAY), 0);
}

/* Each address counted once, in the bucket of the gate's own answer, now and with the clock
 * moved past the validity of some consents (expiry is decided at the moment of asking). */
static void counts_follow_the_gate(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_overview o;
	int64_t now = sk_time_now();
	int64_t later[] = {now, now + 450 * DAY, now + 800 * DAY};
	make_people(t);
	for (size_t k = 0; k < sizeof(later) / sizeof(later[0]); k++) {
		int64_t want[SK_OV_NCOUNTS] = {0};
		for (size_t i = 0; i < NPEOPLE; i++)
			want[bucket_of_reason(t_gate(t, people[i], "newsletter", later[k]))]++;
		assert_int_equal(sk_overview(t->core, later[k], &o, &t->err), 0);
		const struct sk_overview_purpose *op = ov_purpose(&o, "newsletter");
		for (int c = 0; c < SK_OV_NCOUNTS; c++) {
			if (op->n[c] != want[c])
				fail_msg("at +%lld days, %s: overview %lld, gate %lld",
					 (long long)((later[k] - now) / DAY), sk_ov_count_name(c),
					 (long long)op->n[c], (long long)want[c]);
		}
		/* other purposes hold nothing */
		const struct sk_overview_purpose *offers = ov_purpose(&o, "offers");
		for (int c = 0; c < SK_OV_NCOUNTS; c++)
			assert_int_equal(offers->n[c], 0);
		assert_int_equal(o.npurposes, sk_core_policy(t->core)->npurposes);
		sk_overview_reset(&o);
	}
	/* the figures themselves, to be sure the gate said what the test means */
	assert_int_equal(sk_overview(t->core, now, &o, &t->err), 0);
	const struct sk_overview_purpose *op = ov_purpose(&o, "newsletter");
	assert_int_equal(op->n[SK_OV_ALLOWED], 2);
	assert_int_equal(op->n[SK_OV_WITHDRAWN], 1);
	assert_int_equal(op->n[SK_OV_REFUSED], 1);
	assert_int_equal(op->n[SK_OV_EXPIRED], 0);
	assert_int_equal(op->n[SK_OV_PENDING], 1);
	assert_int_equal(op->n[SK_OV_UNVERIFIED], 1);
	assert_int_equal(op->n[SK_OV_SUPPRESSED], 1);
	sk_overview_reset(&o);
	assert_int_equal(sk_overview(t->core, now + 450 * DAY, &o, &t->err), 0);
	op = ov_purpose(&o, "newsletter");
	assert_int_equal(op->n[SK_OV_ALLOWED], 1);  /* given today: 24 months */
	assert_int_equal(op->n[SK_OV_EXPIRED], 1);  /* given 300 days before */
	sk_overview_reset(&o);
	assert_int_equal(sk_overview(t->core, now + 800 * DAY, &o, &t->err), 0);
	op = ov_purpose(&o, "newsletter");
	assert_int_equal(op->n[SK_OV_ALLOWED], 0);
	assert_int_equal(op->n[SK_OV_EXPIRED], 2);
	sk_overview_reset(&o);
	tenv_free(t);
}

/* A purpose on legitimate interest: pending and given are allowed, a withdrawal is not
 * (the gate's rule, not the consent one). */
static void counts_on_legitimate_interest(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_overview o;
	assert_int_equal(t_apply_offers_li(t), 0);
	assert_int_equal(t_consent(t, "a@example.com", "offers", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(t_consent(t, "b@example.com", "offers", SK_ACT_WITHDRAW, "api", "t", 0), 0);
	assert_int_equal(sk_overview(t->core, sk_time_now(), &o, &t->err), 0);
	const struct sk_overview_purpose *op = ov_purpose(&o, "offers");
	assert_int_equal(op->purpose->basis, SK_BASIS_LEGITIMATE_INTEREST);
	assert_int_equal(op->n[SK_OV_ALLOWED], 1);
	assert_int_equal(op->n[SK_OV_WITHDRAWN], 1);
	sk_overview_reset(&o);
	tenv_free(t);
}

/* Gives (that took effect) and withdrawals fall in the week they occurred, the last bucket
 * being this week; weeks start on Monday 00:00 UTC; older events fall out. */
static void weekly_buckets(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_overview o;
	int64_t now = sk_time_now();
	/* this week: two gives (one needing confirmation, then confirmed: one give); a week
	 * ago: a give and a withdrawal; 5 weeks ago: a give; 20 weeks ago: out of range */
	struct sk_consent_req doi = {.email = "w1@example.com", .purpose = "newsletter",
				     .action = SK_ACT_GIVE, .method = "api", .source = "t",
				     .lang = "en", .actor = "t", .double_opt_in = 1};
	assert_int_equal(sk_consent_record(t->core, &doi, NULL, &t->err), 0);
	assert_int_equal(t_consent(t, "w1@example.com", "newsletter", SK_ACT_CONFIRM, "mail_link",
				   "t", 0), 0);
	assert_int_equal(t_consent(t, "w2@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(sk_overview(t->core, now, &o, &t->err), 0);
	int64_t this_week = o.week_start[SK_OV_WEEKS - 1];
	sk_overview_reset(&o);
	assert_int_equal(t_consent(t, "w3@example.com", "offers", SK_ACT_GIVE, "api", "t",
				   this_week - 3 * DAY), 0);
	assert_int_equal(t_consent(t, "w3@example.com", "offers", SK_ACT_WITHDRAW, "api", "t",
				   this_week - 1), 0);
	assert_int_equal(t_consent(t, "w4@example.com", "offers", SK_ACT_GIVE, "api", "t",
				   this_week - 4 * SK_OV_WEEK - DAY), 0);
	assert_int_equal(t_consent(t, "w5@example.com", "offers", SK_ACT_GIVE, "api", "t",
				   this_week - 20 * SK_OV_WEEK), 0);
	/* an unverified claim is no give */
	assert_int_equal(t_consent(t, "w6@example.com", "offers", SK_ACT_GIVE, "api", "", 0), 0);

	assert_int_equal(sk_overview(t->core, now, &o, &t->err), 0);
	/* Monday 00:00 UTC, a week apart, the last one holding now */
	char iso[SK_TIME_STRLEN];
	sk_time_format(o.week_start[0], iso);
	struct tm tm;
	time_t tt = (time_t)o.week_start[0];
	gmtime_r(&tt, &tm);
	assert_int_equal(tm.tm_wday, 1);
	assert_int_equal(tm.tm_hour + tm.tm_min + tm.tm_sec, 0);
	for (int i = 1; i < SK_OV_WEEKS; i++)
		assert_int_equal(o.week_start[i] - o.week_start[i - 1], SK_OV_WEEK);
	assert_true(o.week_start[SK_OV_WEEKS - 1] <= now);
	assert_true(now < o.week_start[SK_OV_WEEKS - 1] + SK_OV_WEEK);

	int64_t want_g[SK_OV_WEEKS] = {0}, want_w[SK_OV_WEEKS] = {0};
	want_g[11] = 2; /* the confirmation and the plain give */
	want_g[10] = 1;
	want_w[10] = 1;
	want_g[6] = 1;
	for (int i = 0; i < SK_OV_WEEKS; i++) {
		if (o.gives[i] != want_g[i] || o.withdrawals[i] != want_w[i])
			fail_msg("week %d: gives %lld (want %lld), withdrawals %lld (want %lld)", i,
				 (long long)o.gives[i], (long long)want_g[i],
				 (long long)o.withdrawals[i], (long long)want_w[i]);
	}
	sk_overview_reset(&o);
	tenv_free(t);
}

/* The ledger head, the last audit (never, whole, broken), the outbox's waiting mails and
 * the suppression list by reason. */
static void ledger_audit_outbox_suppressions(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_overview o;
	struct sk_audit a;
	int64_t now = sk_time_now();

	assert_int_equal(sk_overview(t->core, now, &o, &t->err), 0);
	assert_int_equal(o.ledger_seq, 0);
	assert_int_equal(o.verify.at, 0); /* never run */
	assert_int_equal(o.outbox_waiting, 0);
	assert_int_equal(o.outbox_oldest, 0);
	assert_int_equal(o.nsupp, 0);
	assert_int_equal(o.nwebhooks, 0);
	sk_overview_reset(&o);

	assert_int_equal(t_consent(t, "l1@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(t_consent(t, "l2@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	assert_int_equal(sk_audit(t->core, 0, &a, &t->err), 0);
	assert_int_equal(sk_audit_record(t->core, &a, now - 60, &t->err), 0);
	assert_int_equal(sk_suppress(t->core, "s1@example.com", "bounced", &t->err), 0);
	assert_int_equal(sk_suppress(t->core, "s2@example.com", "complained", &t->err), 0);
	assert_int_equal(sk_suppress(t->core, "s3@example.com", "bounced", &t->err), 0);
	struct sk_erasure_receipt er;
	assert_int_equal(sk_forget_email(t->core, "l2@example.com", &er, &t->err), 0);
	/* two mails waiting (the oldest an hour), one sent */
	for (int i = 0; i < 3; i++) {
		struct sk_outbox_rec m = {0};
		snprintf(m.id, sizeof(m.id), "m_%024d", i);
		memset(m.email_key, i + 1, SK_HASH_LEN);
		sk_strlcpy(m.kind, "confirm", sizeof(m.kind));
		sk_strlcpy(m.ref, "r_x", sizeof(m.ref));
		m.created_at = m.next_attempt_at = now - (i == 1 ? 3600 : 60 * (i + 1));
		assert_int_equal(sk_store_outbox_put(t->store, &m), 0);
		if (i == 2) {
			m.sent_at = now;
			assert_int_equal(sk_store_outbox_state(t->store, &m), 0);
		}
	}

	assert_int_equal(sk_overview(t->core, now, &o, &t->err), 0);
	assert_int_equal(o.ledger_seq, 2);
	assert_memory_equal(o.ledger_head, a.head, SK_HASH_LEN);
	assert_int_equal(o.verify.at, now - 60);
	assert_int_equal(o.verify.events, 2);
	assert_int_equal(o.verify.first_bad_seq, 0);
	assert_int_equal(o.outbox_waiting, 2);
	assert_int_equal(o.outbox_oldest, now - 3600);
	assert_int_equal(o.outbox_failed, 0);
	assert_int_equal(o.nsupp, 3);
	assert_string_equal(o.supp[0].reason, "bounced");
	assert_int_equal(o.supp[0].n, 2);
	assert_string_equal(o.supp[1].reason, "complained");
	assert_int_equal(o.supp[1].n, 1);
	assert_string_equal(o.supp[2].reason, "erased");
	assert_int_equal(o.supp[2].n, 1);
	sk_overview_reset(&o);

	/* a broken chain's result, as recorded */
	struct sk_audit broken = {.broken = 1, .events = 1, .first_bad_seq = 2};
	assert_int_equal(sk_audit_record(t->core, &broken, now, &t->err), 0);
	assert_int_equal(sk_overview(t->core, now, &o, &t->err), 0);
	assert_int_equal(o.verify.at, now);
	assert_int_equal(o.verify.first_bad_seq, 2);
	sk_overview_reset(&o);
	/* a meta value that is no audit's result is refused, not shown as "never run" */
	assert_int_equal(sk_store_meta_set(t->store, "audit_last", "yesterday"), 0);
	assert_int_equal(sk_overview(t->core, now, &o, &t->err), SK_ERR_CORRUPT);
	tenv_free(t);
}

/* A store that fails at any call fails the overview (never half a page of figures). */
static void storage_failure(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(1);
	struct sk_overview o;
	assert_int_equal(t_consent(t, "f@example.com", "newsletter", SK_ACT_GIVE, "api", "t", 0), 0);
	long calls;
	sk_store_fault_set(t->store, 0, 0);
	assert_int_equal(sk_overview(t->core, sk_time_now(), &o, &t->err), 0);
	calls = sk_store_fault_calls(t->store);
	sk_overview_reset(&o);
	/* the last call ends the read snapshot: nothing read depends on it */
	for (long n = 1; n < calls; n++) {
		sk_store_fault_set(t->store, n, 0);
		int rc = sk_overview(t->core, sk_time_now(), &o, &t->err);
		if (rc == 0)
			fail_msg("call %ld of %ld failed and the overview still answered", n, calls);
		assert_null(o.purposes);
		sk_errctx_reset(&t->err);
	}
	sk_store_fault_set(t->store, 0, 0);
	tenv_free(t);
}

/* ---- the word diff ---- */

static char *runs_text(const struct sk_diff_run *r, size_t n)
{
	static char out[4096];
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%.*s]",
				      r[i].op == SK_DIFF_SAME ? "=[" : r[i].op == SK_DIFF_DEL ? "-[" : "+[",
				      (int)r[i].len, r[i].p);
	return out;
}

static void word_diff(void **state)
{
	(void)state;
	struct sk_diff_run *r;
	size_t n;
	struct sk_errctx err = {0};

	assert_int_equal(sk_word_diff("the cat sat on the mat", "the dog sat on the mat", &r, &n, &err), 0);
	assert_string_equal(runs_text(r, n), "=[the ]-[cat ]+[dog ]=[sat on the mat]");
	sk_free(r);
	/* a word added at the end, one removed at the start */
	assert_int_equal(sk_word_diff("valid 24 months", "24 months or until withdrawn", &r, &n, &err), 0);
	assert_string_equal(runs_text(r, n), "-[valid ]=[24 months]+[or until withdrawn]");
	sk_free(r);
	/* the same words: one run; white space between words does not count as a change */
	assert_int_equal(sk_word_diff("a b  c", "a b c", &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].op, SK_DIFF_SAME);
	sk_free(r);
	/* empty sides */
	assert_int_equal(sk_word_diff("", "new text", &r, &n, &err), 0);
	assert_string_equal(runs_text(r, n), "+[new text]");
	sk_free(r);
	assert_int_equal(sk_word_diff("old", "", &r, &n, &err), 0);
	assert_string_equal(runs_text(r, n), "-[old]");
	sk_free(r);
	assert_int_equal(sk_word_diff("", "", &r, &n, &err), 0);
	assert_int_equal(n, 0);
	sk_free(r);
	/* UTF-8 words compare as bytes */
	assert_int_equal(sk_word_diff("du kan återkalla", "du får återkalla", &r, &n, &err), 0);
	assert_string_equal(runs_text(r, n), "=[du ]-[kan ]+[får ]=[återkalla]");
	sk_free(r);
	/* past the limit: the whole of one for the whole of the other */
	size_t big = (SK_DIFF_MAX_WORDS + 1) * 2;
	char *a = sk_malloc(big + 1), *b = sk_malloc(big + 1);
	for (size_t i = 0; i < big; i += 2)
		a[i] = 'x', a[i + 1] = ' ', b[i] = 'y', b[i + 1] = ' ';
	a[big] = b[big] = '\0';
	assert_int_equal(sk_word_diff(a, b, &r, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].op, SK_DIFF_DEL);
	assert_int_equal(r[0].len, big);
	assert_int_equal(r[1].op, SK_DIFF_INS);
	sk_free(r);
	sk_free(a);
	sk_free(b);
	/* out of memory: an error, nothing handed out */
	sk_mem_fail_after(0);
	assert_int_equal(sk_word_diff("a b", "a c", &r, &n, &err), SK_ERR_NOMEM);
	sk_mem_fail_after(-1);
	assert_null(r);
}

/* ---- notices and the lint ---- */

#define NL_FROM "Samtycket gäller i 24 månader och du kan"
#define NL_TO "Samtycket gäller i 12 månader och du kan"

static void notice_history_and_lint(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_notice_history h;
	struct sk_policy_lint lint;
	size_t len;
	char *pol = t_example_policy(&len);

	assert_int_equal(sk_notice_history(t->core, "newsletter", &h, &t->err), 0);
	assert_int_equal(h.nv, 1);
	assert_non_null(strstr(h.v[0].text[SK_LANG_SV], "24 månader"));
	assert_non_null(h.v[0].text[SK_LANG_EN]);
	assert_true(h.v[0].since > 0);
	sk_notice_history_reset(&h);

	/* a second policy whose Swedish notice changed: a second version, the first kept */
	assert_int_equal(t_apply_text(t, t_policy_with(pol, NL_FROM, NL_TO)), 0);
	assert_int_equal(sk_notice_history(t->core, "newsletter", &h, &t->err), 0);
	assert_int_equal(h.nv, 2);
	assert_int_equal(h.v[0].version, 1);
	assert_int_equal(h.v[1].version, 2);
	assert_non_null(strstr(h.v[0].text[SK_LANG_SV], "24 månader"));
	assert_non_null(strstr(h.v[1].text[SK_LANG_SV], "12 månader"));
	assert_true(h.v[1].since >= h.v[0].since);
	sk_notice_history_reset(&h);
	/* a purpose with one version only; an unknown purpose has none */
	assert_int_equal(sk_notice_history(t->core, "offers", &h, &t->err), 0);
	assert_int_equal(h.nv, 1);
	sk_notice_history_reset(&h);
	assert_int_equal(sk_notice_history(t->core, "no_such_purpose", &h, &t->err), 0);
	assert_int_equal(h.nv, 0);
	sk_notice_history_reset(&h);

	/* the lint: the applied policy passes */
	assert_int_equal(sk_policy_lint(t->core, &lint, &t->err), 0);
	assert_int_equal(lint.version, 2);
	assert_true(lint.ok);
	assert_string_equal(lint.finding, "");
	/* a stored policy that today's rules refuse (as one applied before the no-bundling
	 * rule would be): the finding is what apply would say */
	const char *bundled = t_policy_with(pol, "    fields:\n      email: {required: true}\n"
					    "    consents:\n      - purpose: newsletter\n",
					    "    fields:\n      email: {required: true}\n"
					    "      first_name: {required: true}\n"
					    "    consents:\n      - purpose: lead_scoring\n"
					    "      - purpose: newsletter\n");
	int v = 0;
	assert_int_equal(sk_store_policy_put(t->store, sk_time_now(), bundled, strlen(bundled), &v), 0);
	assert_int_equal(sk_policy_lint(t->core, &lint, &t->err), 0);
	assert_int_equal(lint.version, v);
	assert_false(lint.ok);
	assert_non_null(strstr(lint.finding, "GDPR Art. 7(4)"));
	assert_non_null(strstr(lint.finding, "forms.newsletter.fields.first_name.required"));
	/* ... and such a policy still loads (the stored-policy rules leave that check out),
	 * which is why the lint runs today's */
	struct sk_policy *loaded = NULL;
	assert_int_equal(sk_policy_parse_flags(bundled, strlen(bundled), "p", SK_POLICY_PARSE_STORED,
					       &loaded, &t->err), 0);
	sk_policy_free(loaded);
	free(pol);
	tenv_free(t);
}

/* ---- the renderer ---- */

static char *render_overview(const struct sk_overview *o, int lang, int can_verify)
{
	struct sk_buf b;
	struct sk_staff who = {.name = "vera", .role = SK_ROLE_VIEWER};
	struct sk_con_frame f = {.pol = o->policy, .lang = lang, .who = &who, .csrf = "tok",
				 .nav = SK_NAV_OVERVIEW};
	assert_int_equal(sk_con_overview(&b, &f, o, can_verify), 0);
	assert_int_equal(sk_con_end(&b), 0);
	return sk_buf_steal(&b, NULL);
}

/* The n-th (from 0) value of attribute marker's cell: ">VALUE<" after marker. */
static long long cell_after(const char *html, const char *marker, int nth)
{
	const char *p = html;
	for (int i = 0; i <= nth; i++) {
		p = strstr(p, marker);
		assert_non_null(p);
		p += strlen(marker);
	}
	p = strchr(p, '>');
	assert_non_null(p);
	return strtoll(p + 1, NULL, 10);
}

static void renders_the_overview(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	struct sk_overview o;
	make_people(t);
	assert_int_equal(t_consent(t, "r1@example.com", "offers", SK_ACT_WITHDRAW, "api", "t", 0), 0);
	assert_int_equal(sk_overview(t->core, sk_time_now(), &o, &t->err), 0);
	/* a webhook whose name and error would be markup if not escaped */
	struct sk_webhook_info wh = {.id = "w_1", .name = "<b>crm</b>", .url = "https://hook:pw-secret@crm.example.com/h/T0KEN?k=v",
				     .enabled = 1, .pending = 42, .last_status = 500,
				     .last_error = "server said <oops>"};
	o.webhooks = sk_malloc(sizeof(wh));
	*o.webhooks = wh;
	o.nwebhooks = 1;

	for (int lang = 0; lang < SK_NLANG; lang++) {
		char *html = render_overview(&o, lang, 0);
		assert_null(strstr(html, "style="));
		assert_null(strstr(html, "<script"));
		/* a webhook by its site only: no user info, path or query, which may be secrets */
		assert_non_null(strstr(html, "<code>https://crm.example.com</code>"));
		assert_null(strstr(html, "pw-secret"));
		assert_null(strstr(html, "T0KEN"));
		/* the chart: an image with a title and a description, and a table of the same
		 * figures, week by week */
		assert_non_null(strstr(html, "<svg class=\"ov-chart\" role=\"img\" "
					     "aria-labelledby=\"ov-chart-title ov-chart-desc\""));
		assert_non_null(strstr(html, "<title id=\"ov-chart-title\">"));
		assert_non_null(strstr(html, "<desc id=\"ov-chart-desc\">"));
		for (int i = 0; i < SK_OV_WEEKS; i++) {
			assert_int_equal(cell_after(html, "data-gives", i), o.gives[i]);
			assert_int_equal(cell_after(html, "data-withdrawals", i), o.withdrawals[i]);
		}
		assert_true(o.gives[SK_OV_WEEKS - 1] >= 3); /* so the comparison compared something */
		/* the bars: as many as weeks, each pair the height of its figures */
		const char *p = html;
		int bars = 0;
		while ((p = strstr(p, "<rect class=\"give\""))) {
			p++;
			bars++;
		}
		assert_int_equal(bars, SK_OV_WEEKS);
		/* the counts per purpose */
		const struct sk_overview_purpose *op = ov_purpose(&o, "newsletter");
		const char *row = strstr(html, "<tr data-purpose=\"newsletter\">");
		assert_non_null(row);
		for (int c = 0; c < SK_OV_NCOUNTS; c++) {
			char marker[64];
			snprintf(marker, sizeof(marker), "data-count=\"%s\"", sk_ov_count_name(c));
			assert_int_equal(cell_after(row, marker, 0), op->n[c]);
		}
		/* escaped, never markup */
		assert_null(strstr(html, "<b>crm</b>"));
		assert_non_null(strstr(html, "&lt;b&gt;crm&lt;/b&gt;"));
		assert_non_null(strstr(html, "server said &lt;oops&gt;"));
		assert_int_equal(cell_after(html, "data-lag", 0), 42);
		assert_int_equal(cell_after(html, "data-outbox-waiting", 0), 0);
		/* never run, and no verify button for a role that may not */
		assert_non_null(strstr(html, lang == SK_LANG_SV ? "aldrig körd" : "never run"));
		assert_null(strstr(html, "/console/verify"));
		assert_non_null(strstr(html, lang == SK_LANG_SV ? "<html lang=\"sv\">" : "<html lang=\"en\">"));
		/* no personal data: no address made it onto the page */
		assert_null(strstr(html, "@example.com"));
		free(html);
	}
	/* the button, with the CSRF token, for a role that may */
	char *html = render_overview(&o, SK_LANG_EN, 1);
	assert_non_null(strstr(html, "<form method=\"post\" action=\"/console/verify?lang=en\">"
				     "<input type=\"hidden\" name=\"csrf\" value=\"tok\">"));
	free(html);
	sk_overview_reset(&o);
	tenv_free(t);
}

static void renders_the_purposes(void **state)
{
	(void)state;
	struct tenv *t = tenv_new(0);
	size_t len;
	char *pol = t_example_policy(&len);
	assert_int_equal(t_apply_text(t, t_policy_with(pol, NL_FROM, NL_TO)), 0);
	const struct sk_policy *p = sk_core_policy(t->core);
	struct sk_notice_history *h = calloc(p->npurposes, sizeof(*h));
	for (size_t i = 0; i < p->npurposes; i++)
		assert_int_equal(sk_notice_history(t->core, p->purposes[i].id, &h[i], &t->err), 0);
	struct sk_policy_lint lint;
	assert_int_equal(sk_policy_lint(t->core, &lint, &t->err), 0);
	struct sk_staff who = {.name = "vera", .role = SK_ROLE_VIEWER};
	for (int lang = 0; lang < SK_NLANG; lang++) {
		struct sk_con_frame f = {.pol = p, .lang = lang, .who = &who, .csrf = "tok",
					 .nav = SK_NAV_PURPOSES};
		struct sk_buf b;
		assert_int_equal(sk_con_purposes(&b, &f, h, &lint), 0);
		assert_int_equal(sk_con_end(&b), 0);
		char *html = sk_buf_steal(&b, NULL);
		assert_null(strstr(html, "style="));
		/* every purpose, with its id */
		for (size_t i = 0; i < p->npurposes; i++) {
			char marker[128];
			snprintf(marker, sizeof(marker), "<section class=\"pu-purpose\" aria-labelledby=\"pu-%s\"",
				 p->purposes[i].id);
			assert_non_null(strstr(html, marker));
		}
		/* the newsletter's Swedish notice: both versions side by side, the change marked */
		const char *sv = strstr(html, "data-purpose=\"newsletter\" data-lang=\"sv\"");
		assert_non_null(sv);
		const char *v1 = strstr(sv, "data-version=\"1\""), *v2 = strstr(sv, "data-version=\"2\"");
		assert_non_null(v1);
		assert_non_null(v2);
		assert_true(v1 < v2);
		const char *del = strstr(v2, "<del>"), *ins = strstr(v2, "<ins>");
		assert_non_null(del);
		assert_non_null(ins);
		assert_non_null(strstr(del, "24 </del>"));
		assert_non_null(strstr(ins, "12 </ins>"));
		/* the English one did not change: no marks in it */
		const char *en = strstr(html, "data-purpose=\"newsletter\" data-lang=\"en\"");
		const char *en_end = strstr(en, "</div>\n");
		const char *en_del = strstr(en, "<del>");
		assert_true(!en_del || en_del > en_end);
		assert_non_null(strstr(html, "data-lint=\"ok\""));
		free(html);
	}
	for (size_t i = 0; i < p->npurposes; i++)
		sk_notice_history_reset(&h[i]);
	free(h);
	free(pol);
	tenv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counts_follow_the_gate),
		cmocka_unit_test(counts_on_legitimate_interest),
		cmocka_unit_test(weekly_buckets),
		cmocka_unit_test(ledger_audit_outbox_suppressions),
		cmocka_unit_test(storage_failure),
		cmocka_unit_test(word_diff),
		cmocka_unit_test(notice_history_and_lint),
		cmocka_unit_test(renders_the_overview),
		cmocka_unit_test(renders_the_purposes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
