/* test_staff.c: unit tests of the console's staff in core (core/staff.c): the roles matrix,
 * users and passwords, sign-in by password and by API key, lock-out and its end, sessions'
 * idle and absolute ends on a moved clock, the CSRF token's binding to its session, a
 * disabled user and a revoked key, a new password ending the user's sessions, confusable
 * names refused, and the audit rows all of it leaves. */
#include "testlib.h"

#include "util/sktime.h"

#define PW "correct horse battery staple"
#define T0 "2026-06-01T10:00:00Z"

static struct sk_session_opts opts = {.idle = 30 * 60, .absolute = 12 * 3600};

static int64_t t0(void)
{
	int64_t t;
	assert_int_equal(sk_time_parse(T0, &t), 0);
	return t;
}

/* Pins the clock at T0 plus secs. */
static void clock_at(int64_t secs)
{
	char s[SK_TIME_STRLEN];
	sk_time_format(t0() + secs, s);
	setenv("SAMTYCKE_NOW", s, 1);
}

static int setup(void **state)
{
	clock_at(0);
	*state = tenv_new(0);
	return 0;
}

static int teardown(void **state)
{
	tenv_free(*state);
	unsetenv("SAMTYCKE_NOW");
	return 0;
}

/* docs/console.md's matrix, row by row: the lowest role that may. */
static void test_roles_matrix(void **state)
{
	(void)state;
	static const struct {
		enum sk_can can;
		enum sk_role lowest;
	} want[] = {
		{SK_CAN_VIEW, SK_ROLE_VIEWER},      {SK_CAN_FIND, SK_ROLE_VIEWER},
		{SK_CAN_RECORD, SK_ROLE_MARKETER},  {SK_CAN_RECTIFY, SK_ROLE_MARKETER},
		{SK_CAN_LINK, SK_ROLE_MARKETER},    {SK_CAN_IMPORT, SK_ROLE_MARKETER},
		{SK_CAN_AUDIENCE, SK_ROLE_MARKETER}, {SK_CAN_EVIDENCE, SK_ROLE_DPO},
		{SK_CAN_EXPORT, SK_ROLE_DPO},       {SK_CAN_ERASE, SK_ROLE_DPO},
		{SK_CAN_RETENTION, SK_ROLE_DPO},    {SK_CAN_AUDIT, SK_ROLE_DPO},
		{SK_CAN_ADMIN, SK_ROLE_ADMIN},
	};
	assert_int_equal(sizeof(want) / sizeof(want[0]), SK_CAN_COUNT);
	for (size_t i = 0; i < SK_CAN_COUNT; i++)
		for (int r = 0; r < SK_ROLE_COUNT; r++)
			assert_int_equal(sk_role_may((enum sk_role)r, want[i].can), r >= (int)want[i].lowest);
	assert_false(sk_role_may((enum sk_role)SK_ROLE_COUNT, SK_CAN_VIEW));
	assert_int_equal(sk_role_parse("dpo"), SK_ROLE_DPO);
	assert_int_equal(sk_role_parse("root"), -1);
}

struct audit_rows {
	int n;
	struct sk_staff_audit_rec a[64];
};

static int audit_take(void *arg, const struct sk_staff_audit_rec *a)
{
	struct audit_rows *ar = arg;
	if (ar->n < 64)
		ar->a[ar->n++] = *a;
	return 0;
}

/* The trail, oldest first. */
static struct audit_rows *trail(struct tenv *t)
{
	static struct audit_rows ar, rev;
	memset(&ar, 0, sizeof(ar));
	assert_int_equal(sk_staff_audit_read(t->core, 0, 0, audit_take, &ar, &t->err), 0);
	rev.n = ar.n;
	for (int i = 0; i < ar.n; i++)
		rev.a[i] = ar.a[ar.n - 1 - i];
	return &rev;
}

static void test_users(void **state)
{
	struct tenv *t = *state;
	struct sk_staff out;
	char cookie[SK_SESSION_STRLEN];

	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_DPO, "short", &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_staff_add(t->core, NULL, "bad name", SK_ROLE_DPO, PW, &t->err),
			 SK_ERR_INVALID);
	/* 12 characters of which some are two bytes: long enough; 11 are not */
	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_DPO, "\xc3\xa5\xc3\xa5" "abcdefghi",
				      &t->err), SK_ERR_INVALID);
	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_DPO, PW, &t->err), 0);
	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_VIEWER, PW, &t->err), SK_ERR_EXISTS);
	/* the hash is Argon2id, never the password */
	struct sk_staff_rec u;
	assert_int_equal(sk_store_staff_get(t->store, "ann", &u), 0);
	assert_non_null(strstr(u.hash, "$argon2id$"));
	assert_null(strstr(u.hash, PW));

	assert_int_equal(sk_staff_passwd(t->core, NULL, "ann", "another long password", &t->err), 0);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", "another long password", &opts, &out,
					  cookie, &t->err), 0);
	assert_string_equal(out.name, "ann");
	assert_int_equal(out.role, SK_ROLE_DPO);
	assert_int_equal(sk_staff_passwd(t->core, NULL, "nobody", PW, &t->err), SK_ERR_NOT_FOUND);

	char pw[32], pw2[32];
	assert_int_equal(sk_staff_password_new(pw, sizeof(pw)), 0);
	assert_int_equal(sk_staff_password_new(pw2, sizeof(pw2)), 0);
	assert_int_equal(strlen(pw), 24);
	assert_string_not_equal(pw, pw2);

	struct audit_rows *ar = trail(t);
	assert_int_equal(ar->n, 4);
	assert_string_equal(ar->a[0].action, "user.add");
	assert_string_equal(ar->a[0].who, "cli");
	assert_string_equal(ar->a[0].target, "ann");
	assert_string_equal(ar->a[1].action, "user.passwd");
	assert_string_equal(ar->a[2].action, "sign_in.failed");
	assert_string_equal(ar->a[3].action, "sign_in");
	assert_string_equal(ar->a[3].who, "ann");
	assert_string_equal(ar->a[3].role, "dpo");
}

static void test_sign_in_and_session(void **state)
{
	struct tenv *t = *state;
	struct sk_staff out, who;
	char cookie[SK_SESSION_STRLEN], csrf[SK_CSRF_STRLEN], want[SK_CSRF_STRLEN];
	char msg_unknown[256];

	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_MARKETER, PW, &t->err), 0);
	/* an unknown name and a wrong password: one answer */
	assert_int_equal(sk_staff_sign_in(t->core, "nobody", PW, &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);
	sk_strlcpy(msg_unknown, t->err.msg, sizeof(msg_unknown));
	assert_int_equal(sk_staff_sign_in(t->core, "ann", "wrong password!", &opts, &out, cookie,
					  &t->err), SK_ERR_UNAUTHORIZED);
	assert_string_equal(t->err.msg, msg_unknown);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err), 0);
	/* the cookie: the session's id and a secret; only the secret's hash is stored */
	assert_int_equal(strlen(cookie), SK_ID_LEN + 1 + 64);
	assert_memory_equal(cookie, out.session_id, SK_ID_LEN);
	struct sk_session_rec ss;
	assert_int_equal(sk_store_session_get(t->store, out.session_id, &ss), 0);
	assert_null(memmem(&ss, sizeof(ss), cookie + SK_ID_LEN + 1, 64));

	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err), 0);
	assert_string_equal(who.name, "ann");
	assert_int_equal(who.role, SK_ROLE_MARKETER);
	assert_string_equal(who.session_id, out.session_id);
	sk_staff_csrf(t->core, out.session_id, want);
	assert_string_equal(csrf, want);

	/* a wrong secret, a cut cookie, none */
	char bad[SK_SESSION_STRLEN];
	sk_strlcpy(bad, cookie, sizeof(bad));
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'a' ? 'b' : 'a';
	assert_int_equal(sk_staff_session_check(t->core, bad, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_string_equal(csrf, "");
	bad[SK_ID_LEN + 10] = '\0';
	assert_int_equal(sk_staff_session_check(t->core, bad, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_session_check(t->core, NULL, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);

	/* sign-out ends it */
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err), 0);
	assert_int_equal(sk_staff_sign_out(t->core, &who, &t->err), 0);
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);

	struct audit_rows *ar = trail(t);
	assert_int_equal(ar->n, 5);
	assert_string_equal(ar->a[1].action, "sign_in.failed");
	assert_string_equal(ar->a[1].who, "?"); /* never the name typed */
	assert_string_equal(ar->a[2].action, "sign_in.failed");
	assert_string_equal(ar->a[2].who, "ann");
	assert_string_equal(ar->a[4].action, "sign_out");
}

static void test_lock_out(void **state)
{
	struct tenv *t = *state;
	struct sk_staff out;
	char cookie[SK_SESSION_STRLEN];

	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_VIEWER, PW, &t->err), 0);
	/* four failures, then a success: the count starts again */
	for (int i = 0; i < SK_STAFF_LOCK_AFTER - 1; i++)
		assert_int_equal(sk_staff_sign_in(t->core, "ann", "nope nope nope", &opts, &out,
						  cookie, &t->err), SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err), 0);
	for (int i = 0; i < SK_STAFF_LOCK_AFTER; i++)
		assert_int_equal(sk_staff_sign_in(t->core, "ann", "nope nope nope", &opts, &out,
						  cookie, &t->err), SK_ERR_UNAUTHORIZED);
	/* locked: the right password is refused, with the same answer */
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);
	clock_at(SK_STAFF_LOCK_SECONDS - 1);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);
	clock_at(SK_STAFF_LOCK_SECONDS);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err), 0);

	/* unlock clears a lock at once */
	for (int i = 0; i < SK_STAFF_LOCK_AFTER; i++)
		sk_staff_sign_in(t->core, "ann", "nope nope nope", &opts, &out, cookie, &t->err);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_unlock(t->core, NULL, "ann", &t->err), 0);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err), 0);

	struct audit_rows *ar = trail(t);
	int locked = 0, refused_locked = 0;
	for (int i = 0; i < ar->n; i++) {
		locked += strcmp(ar->a[i].action, "sign_in.locked") == 0;
		refused_locked += strcmp(ar->a[i].detail, "locked") == 0;
	}
	assert_int_equal(locked, 2);
	assert_int_equal(refused_locked, 3);
	assert_string_equal(ar->a[ar->n - 2].action, "user.unlock");
}

static void test_session_expiry(void **state)
{
	struct tenv *t = *state;
	struct sk_staff out, who;
	char cookie[SK_SESSION_STRLEN], csrf[SK_CSRF_STRLEN];

	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_VIEWER, PW, &t->err), 0);
	/* idle: 30 minutes unused */
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err), 0);
	clock_at(29 * 60);
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err), 0);
	clock_at(29 * 60 + 29 * 60); /* 29 minutes after its last use */
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err), 0);
	clock_at(58 * 60 + 30 * 60);
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);

	/* absolute: 12 hours after sign-in, however busy */
	clock_at(0);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err), 0);
	for (int64_t s = 20 * 60; s < 12 * 3600; s += 20 * 60) {
		clock_at(s);
		assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err), 0);
	}
	clock_at(12 * 3600);
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);

	/* shorter options hold too */
	struct sk_session_opts short_opts = {.idle = 60, .absolute = 3600};
	clock_at(0);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &short_opts, &out, cookie, &t->err), 0);
	clock_at(61);
	assert_int_equal(sk_staff_session_check(t->core, cookie, &short_opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);
}

static void test_csrf_binding(void **state)
{
	struct tenv *t = *state;
	struct sk_staff a, b;
	char ca[SK_SESSION_STRLEN], cb[SK_SESSION_STRLEN], ta[SK_CSRF_STRLEN], tb[SK_CSRF_STRLEN];

	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_DPO, PW, &t->err), 0);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &a, ca, &t->err), 0);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &b, cb, &t->err), 0);
	sk_staff_csrf(t->core, a.session_id, ta);
	sk_staff_csrf(t->core, b.session_id, tb);
	assert_int_equal(strlen(ta), 64);
	assert_string_not_equal(ta, tb);
	assert_true(sk_staff_csrf_ok(t->core, &a, ta));
	assert_false(sk_staff_csrf_ok(t->core, &a, tb)); /* another session's */
	assert_false(sk_staff_csrf_ok(t->core, &b, ta));
	assert_false(sk_staff_csrf_ok(t->core, &a, ""));
	assert_false(sk_staff_csrf_ok(t->core, &a, NULL));
	char cut[SK_CSRF_STRLEN];
	sk_strlcpy(cut, ta, sizeof(cut));
	cut[63] = '\0';
	assert_false(sk_staff_csrf_ok(t->core, &a, cut));
	cut[63] = ta[63] == '0' ? '1' : '0';
	assert_false(sk_staff_csrf_ok(t->core, &a, cut));
	/* keyed: not a plain hash of the id that anyone could compute */
	uint8_t h[32];
	char hex[65];
	sk_vault_sha256(a.session_id, strlen(a.session_id), h);
	sk_hex(h, 32, hex);
	assert_string_not_equal(hex, ta);
}

static void test_key_sign_in(void **state)
{
	struct tenv *t = *state;
	static const struct {
		const char *scopes;
		int role; /* -1: refused */
	} cases[] = {
		{"read", SK_ROLE_VIEWER},
		{"read,write", SK_ROLE_MARKETER},
		{"write,read,dsr", SK_ROLE_DPO},
		{"admin,dsr,write,read", SK_ROLE_ADMIN},
		{"read,dsr", SK_ROLE_VIEWER},    /* dpo needs write too */
		{"read,write,admin", SK_ROLE_MARKETER},
		{"write", -1},
		{"admin,dsr,write", -1},
	};
	struct sk_staff out, who;
	char key[SK_KEY_STRLEN], cookie[SK_SESSION_STRLEN], csrf[SK_CSRF_STRLEN], name[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "k%zu", i);
		assert_int_equal(sk_key_create(t->core, name, cases[i].scopes, key, &t->err), 0);
		int rc = sk_staff_sign_in_key(t->core, key, &opts, &out, cookie, &t->err);
		if (cases[i].role < 0) {
			assert_int_equal(rc, SK_ERR_FORBIDDEN);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(out.role, cases[i].role);
		char want[32];
		snprintf(want, sizeof(want), "key:%s", name);
		assert_string_equal(out.name, want);
		assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err), 0);
		assert_int_equal(who.role, cases[i].role);
	}
	assert_int_equal(sk_staff_sign_in_key(t->core, "k_nothing.abc", &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);
	/* revoking the key ends the session it signed in */
	assert_int_equal(sk_key_create(t->core, "kr", "read,write,dsr,admin", key, &t->err), 0);
	assert_int_equal(sk_staff_sign_in_key(t->core, key, &opts, &out, cookie, &t->err), 0);
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err), 0);
	assert_int_equal(sk_key_revoke(t->core, "kr", &t->err), 0);
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_sign_in_key(t->core, key, &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);

	struct audit_rows *ar = trail(t);
	assert_string_equal(ar->a[0].action, "sign_in");
	assert_string_equal(ar->a[0].who, "key:k0");
	assert_string_equal(ar->a[0].detail, "api key");
}

static void test_disabled_user(void **state)
{
	struct tenv *t = *state;
	struct sk_staff out, who;
	char cookie[SK_SESSION_STRLEN], csrf[SK_CSRF_STRLEN];

	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_ADMIN, PW, &t->err), 0);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err), 0);
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err), 0);
	assert_int_equal(sk_staff_disable(t->core, &who, "ann", &t->err), 0);
	assert_int_equal(sk_staff_session_check(t->core, cookie, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_disable(t->core, NULL, "nobody", &t->err), SK_ERR_NOT_FOUND);

	struct audit_rows *ar = trail(t);
	assert_string_equal(ar->a[2].action, "user.disable");
	assert_string_equal(ar->a[2].who, "ann"); /* by the staff member who did it */
	assert_string_equal(ar->a[2].role, "admin");
	assert_string_equal(ar->a[3].action, "sign_in.failed");
	assert_string_equal(ar->a[3].detail, "disabled");
}

/* A new password ends every session of that user in its own transaction (the rows are
 * gone, not only refused later); other users' sessions live on. A disable does the same. */
static void test_passwd_ends_sessions(void **state)
{
	struct tenv *t = *state;
	struct sk_staff a1, a2, b, who;
	char c1[SK_SESSION_STRLEN], c2[SK_SESSION_STRLEN], cb[SK_SESSION_STRLEN];
	char csrf[SK_CSRF_STRLEN];
	struct sk_session_rec ss;

	assert_int_equal(sk_staff_add(t->core, NULL, "ann", SK_ROLE_ADMIN, PW, &t->err), 0);
	assert_int_equal(sk_staff_add(t->core, NULL, "bob", SK_ROLE_VIEWER, PW, &t->err), 0);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &a1, c1, &t->err), 0);
	assert_int_equal(sk_staff_sign_in(t->core, "ann", PW, &opts, &a2, c2, &t->err), 0);
	assert_int_equal(sk_staff_sign_in(t->core, "bob", PW, &opts, &b, cb, &t->err), 0);
	assert_int_equal(sk_staff_session_check(t->core, c1, &opts, &who, csrf, &t->err), 0);

	/* changed by ann herself from one of her sessions: that one ends too */
	assert_int_equal(sk_staff_passwd(t->core, &who, "ann", "another long password", &t->err),
			 0);
	assert_int_equal(sk_store_session_get(t->store, a1.session_id, &ss), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_session_get(t->store, a2.session_id, &ss), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_staff_session_check(t->core, c1, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_session_check(t->core, c2, &opts, &who, csrf, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_session_check(t->core, cb, &opts, &who, csrf, &t->err), 0);
	assert_string_equal(who.name, "bob");
	/* the new password signs in */
	assert_int_equal(sk_staff_sign_in(t->core, "ann", "another long password", &opts, &a1, c1,
					  &t->err), 0);
	assert_int_equal(sk_staff_session_check(t->core, c1, &opts, &who, csrf, &t->err), 0);

	/* unlock leaves sessions; disable deletes them at once */
	assert_int_equal(sk_staff_unlock(t->core, NULL, "ann", &t->err), 0);
	assert_int_equal(sk_store_session_get(t->store, a1.session_id, &ss), 0);
	assert_int_equal(sk_staff_disable(t->core, NULL, "ann", &t->err), 0);
	assert_int_equal(sk_store_session_get(t->store, a1.session_id, &ss), SK_ERR_NOT_FOUND);
	assert_int_equal(sk_store_session_get(t->store, b.session_id, &ss), 0);
}

/* Names the audit trail could confuse: "cli" (the command line's actor word) in any case,
 * and a name that differs from an existing one only in letter case. */
static void test_confusable_names(void **state)
{
	struct tenv *t = *state;
	struct sk_staff out;
	char cookie[SK_SESSION_STRLEN];

	assert_int_equal(sk_staff_add(t->core, NULL, "cli", SK_ROLE_ADMIN, PW, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_staff_add(t->core, NULL, "CLI", SK_ROLE_ADMIN, PW, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_staff_add(t->core, NULL, "?", SK_ROLE_ADMIN, PW, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_staff_add(t->core, NULL, "key:mailer", SK_ROLE_ADMIN, PW, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_staff_add(t->core, NULL, "staff:ann", SK_ROLE_ADMIN, PW, &t->err),
			 SK_ERR_INVALID);
	assert_int_equal(sk_staff_add(t->core, NULL, "clio", SK_ROLE_VIEWER, PW, &t->err), 0);

	assert_int_equal(sk_staff_add(t->core, NULL, "admin", SK_ROLE_ADMIN, PW, &t->err), 0);
	assert_int_equal(sk_staff_add(t->core, NULL, "Admin", SK_ROLE_ADMIN, PW, &t->err),
			 SK_ERR_EXISTS);
	assert_non_null(strstr(t->err.msg, "'admin'"));
	assert_int_equal(sk_staff_add(t->core, NULL, "ADMIN", SK_ROLE_VIEWER, PW, &t->err),
			 SK_ERR_EXISTS);
	assert_int_equal(sk_staff_add(t->core, NULL, "Bea", SK_ROLE_VIEWER, PW, &t->err), 0);
	assert_int_equal(sk_staff_add(t->core, NULL, "bea", SK_ROLE_VIEWER, PW, &t->err),
			 SK_ERR_EXISTS);
	/* the refused ones were not stored and cannot sign in */
	assert_int_equal(sk_staff_sign_in(t->core, "Admin", PW, &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);
	assert_int_equal(sk_staff_sign_in(t->core, "cli", PW, &opts, &out, cookie, &t->err),
			 SK_ERR_UNAUTHORIZED);
	struct audit_rows *ar = trail(t);
	int adds = 0;
	for (int i = 0; i < ar->n; i++)
		adds += strcmp(ar->a[i].action, "user.add") == 0;
	assert_int_equal(adds, 3); /* clio, admin, Bea */
}

static void test_audit_in_batch(void **state)
{
	struct tenv *t = *state;
	struct sk_staff who = {.name = "ann", .role = SK_ROLE_DPO};

	/* outside a batch: refused, nothing written */
	assert_int_equal(sk_staff_audit(t->core, &who, "contact.view", "c_x", NULL, &t->err),
			 SK_ERR_USAGE);
	/* a rolled-back batch takes its audit row with it; a committed one keeps it */
	assert_int_equal(sk_core_batch_begin(t->core, &t->err), 0);
	assert_int_equal(sk_staff_audit(t->core, &who, "contact.erase", "c_x", NULL, &t->err), 0);
	sk_core_batch_rollback(t->core);
	assert_int_equal(trail(t)->n, 0);
	assert_int_equal(sk_core_batch_begin(t->core, &t->err), 0);
	assert_int_equal(sk_staff_audit(t->core, &who, "contact.view", "c_x", "fields", &t->err), 0);
	assert_int_equal(sk_core_batch_commit(t->core, &t->err), 0);
	struct audit_rows *ar = trail(t);
	assert_int_equal(ar->n, 1);
	assert_string_equal(ar->a[0].who, "ann");
	assert_string_equal(ar->a[0].role, "dpo");
	assert_string_equal(ar->a[0].action, "contact.view");
	assert_string_equal(ar->a[0].target, "c_x");
	assert_string_equal(ar->a[0].detail, "fields");
	assert_int_equal(ar->a[0].at, t0());

	/* the actor of ledger events */
	char actor[80];
	sk_staff_actor(&who, actor, sizeof(actor));
	assert_string_equal(actor, "staff:ann");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_matrix),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_in_and_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csrf_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_sign_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_in_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_passwd_ends_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confusable_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
