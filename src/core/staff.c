/* staff.c: the console's staff (core.h, docs/console.md): roles and what each may do;
 * users with Argon2id passwords, sign-in by password or API key with lock-out, sessions
 * (only a hash of each secret is stored), the CSRF token, and the staff audit trail. */
#include "core/core_int.h"

#include <stdio.h>
#include <string.h>

#include "util/sktime.h"
#include "util/str.h"

static const char *const role_names[] = {
#define SK__ROLE_NAME(n, s, sc) s,
	SK_ROLE_LIST(SK__ROLE_NAME)
#undef SK__ROLE_NAME
};

static const struct {
	const char *name;
	enum sk_role lowest;
} cans[] = {
#define SK__CAN_ROW(n, s, r) {s, SK_ROLE_##r},
	SK_CAN_LIST(SK__CAN_ROW)
#undef SK__CAN_ROW
};

const char *sk_role_name(enum sk_role r)
{
	return (unsigned)r < SK_ROLE_COUNT ? role_names[r] : "?";
}

int sk_role_parse(const char *s)
{
	for (int i = 0; s && i < SK_ROLE_COUNT; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

const char *sk_can_name(enum sk_can what)
{
	return (unsigned)what < SK_CAN_COUNT ? cans[what].name : "?";
}

int sk_role_may(enum sk_role role, enum sk_can what)
{
	return (unsigned)what < SK_CAN_COUNT && (unsigned)role < SK_ROLE_COUNT &&
	       role >= cans[what].lowest;
}

void sk_staff_actor(const struct sk_staff *who, char *out, size_t outlen)
{
	snprintf(out, outlen, "staff:%s", who->name);
}

/* ---- users, sign-in, sessions, the audit trail ---- */

static int64_t idle_of(const struct sk_session_opts *o)
{
	return o && o->idle > 0 ? o->idle : SK_STAFF_IDLE_DEFAULT;
}

static int64_t absolute_of(const struct sk_session_opts *o)
{
	return o && o->absolute > 0 ? o->absolute : SK_STAFF_ABSOLUTE_DEFAULT;
}

static int name_ok(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len > 63)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("_.-@", *p)))
			return 0;
	return 1;
}

/* 1 when a and b are the same ASCII name but for letter case (names are ASCII: name_ok). */
static int same_but_case(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* Characters, not bytes: a UTF-8 continuation byte does not count. */
static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int password_ok(const char *pw, struct sk_errctx *err)
{
	if (!pw || chars(pw) < SK_STAFF_PASSWORD_MIN)
		return sk_errf(err, SK_ERR_INVALID, "a password has at least %d characters",
			       SK_STAFF_PASSWORD_MIN);
	if (strlen(pw) > 1024)
		return sk_errf(err, SK_ERR_INVALID, "a password has at most 1024 bytes");
	return 0;
}

/* The audit row, inside the caller's transaction. */
static int audit_as(struct sk_core *c, const char *who, const char *role, const char *action,
		    const char *target, const char *detail, struct sk_errctx *err)
{
	struct sk_staff_audit_rec a = {.at = sk_time_now()};
	sk_strlcpy(a.who, who, sizeof(a.who));
	sk_strlcpy(a.role, role, sizeof(a.role));
	sk_strlcpy(a.action, action, sizeof(a.action));
	sk_strlcpy(a.target, target ? target : "", sizeof(a.target));
	sk_strlcpy(a.detail, detail ? detail : "", sizeof(a.detail));
	int rc = sk_store_staff_audit_append(c->store, &a);
	return rc ? sk__store_err(err, rc, "writing the staff audit trail") : 0;
}

int sk_staff_audit(struct sk_core *c, const struct sk_staff *who, const char *action,
		   const char *target, const char *detail, struct sk_errctx *err)
{
	if (!c->in_batch && !c->in_group)
		return sk_errf(err, SK_ERR_USAGE, "sk_staff_audit runs inside a batch");
	return audit_as(c, who ? who->name : "cli", who ? sk_role_name(who->role) : "",
			action, target, detail, err);
}

/* One user change: fn edits u (read in the transaction), then the update and its audit
 * row commit together. */
static int user_change(struct sk_core *c, const struct sk_staff *by, const char *name,
		       const char *action, void (*fn)(struct sk_staff_rec *u, const void *arg),
		       const void *arg, int end_sessions, struct sk_errctx *err)
{
	struct sk_staff_rec u;
	int rc = sk__core_begin(c, err);
	if (rc)
		return rc;
	rc = sk_store_staff_get(c->store, name, &u);
	if (rc == SK_ERR_NOT_FOUND)
		sk_errf(err, rc, "no staff user is named '%.63s'", name);
	else if (rc)
		sk__store_err(err, rc, "reading a staff user");
	if (!rc) {
		fn(&u, arg);
		if ((rc = sk_store_staff_update(c->store, &u)))
			sk__store_err(err, rc, "writing a staff user");
	}
	/* a new password or a disable ends every session of the user at once */
	if (!rc && end_sessions && (rc = sk_store_session_delete_staff(c->store, u.name)))
		sk__store_err(err, rc, "ending a staff user's sessions");
	if (!rc)
		rc = audit_as(c, by ? by->name : "cli", by ? sk_role_name(by->role) : "", action,
			      u.name, NULL, err);
	return sk__core_end(c, rc, err);
}

/* Another user whose name is name but for letter case, found by staff_each. */
struct like_ctx {
	const char *name;
	int found;
	char found_name[64];
};

static int like_one(void *arg, const struct sk_staff_rec *r)
{
	struct like_ctx *l = arg;
	if (same_but_case(r->name, l->name) && !l->found) {
		l->found = 1;
		sk_strlcpy(l->found_name, r->name, sizeof(l->found_name));
	}
	return 0;
}

int sk_staff_add(struct sk_core *c, const struct sk_staff *by, const char *name,
		 enum sk_role role, const char *password, struct sk_errctx *err)
{
	struct sk_staff_rec u = {0};
	int rc;
	if (!name_ok(name))
		return sk_errf(err, SK_ERR_INVALID, "a user name is 1 to 63 letters, digits, '_', "
			       "'.', '-' or '@'");
	if (same_but_case(name, "cli"))
		return sk_errf(err, SK_ERR_INVALID, "'cli' is reserved: the staff audit trail "
			       "names the command line so");
	if ((unsigned)role >= SK_ROLE_COUNT)
		return sk_errf(err, SK_ERR_INVALID, "no such role");
	if ((rc = password_ok(password, err)))
		return rc;
	sk_strlcpy(u.name, name, sizeof(u.name));
	sk_strlcpy(u.role, sk_role_name(role), sizeof(u.role));
	u.created_at = sk_time_now();
	/* the slow hash outside the write transaction */
	if (sk_vault_password_hash(password, u.hash))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory hashing a password");
	if ((rc = sk__core_begin(c, err)))
		return rc;
	struct like_ctx lk = {.name = name};
	rc = sk_store_staff_each(c->store, like_one, &lk);
	if (rc)
		sk__store_err(err, rc, "reading staff users");
	else if (lk.found)
		rc = sk_errf(err, SK_ERR_EXISTS, "a staff user named '%s' exists (names are "
			     "unique whatever their letter case)", lk.found_name);
	rc = rc ? rc : sk_store_staff_put(c->store, &u);
	if (rc == SK_ERR_EXISTS && !lk.found)
		sk_errf(err, rc, "a staff user named '%s' exists", name);
	else if (rc && rc != err->code)
		sk__store_err(err, rc, "storing a staff user");
	if (!rc)
		rc = audit_as(c, by ? by->name : "cli", by ? sk_role_name(by->role) : "",
			      "user.add", u.name, u.role, err);
	rc = sk__core_end(c, rc, err);
	sk_vault_wipe(u.hash, sizeof(u.hash));
	return rc;
}

static void set_hash(struct sk_staff_rec *u, const void *arg)
{
	sk_strlcpy(u->hash, arg, sizeof(u->hash));
}

int sk_staff_passwd(struct sk_core *c, const struct sk_staff *by, const char *name,
		    const char *password, struct sk_errctx *err)
{
	char hash[SK_PWHASH_MAX];
	int rc = password_ok(password, err);
	if (rc)
		return rc;
	if (sk_vault_password_hash(password, hash))
		return sk_errf(err, SK_ERR_NOMEM, "out of memory hashing a password");
	rc = user_change(c, by, name, "user.passwd", set_hash, hash, 1, err);
	sk_vault_wipe(hash, sizeof(hash));
	return rc;
}

static void set_disabled(struct sk_staff_rec *u, const void *arg)
{
	(void)arg;
	u->disabled = 1;
}

int sk_staff_disable(struct sk_core *c, const struct sk_staff *by, const char *name,
		     struct sk_errctx *err)
{
	return user_change(c, by, name, "user.disable", set_disabled, NULL, 1, err);
}

static void set_unlocked(struct sk_staff_rec *u, const void *arg)
{
	(void)arg;
	u->failed = 0;
	u->locked_until = 0;
}

int sk_staff_unlock(struct sk_core *c, const struct sk_staff *by, const char *name,
		    struct sk_errctx *err)
{
	return user_change(c, by, name, "user.unlock", set_unlocked, NULL, 0, err);
}

struct list_ctx {
	sk_staff_user_cb cb;
	void *arg;
};

static int list_one(void *arg, const struct sk_staff_rec *r)
{
	struct list_ctx *l = arg;
	struct sk_staff_user u = {.created_at = r->created_at, .disabled = r->disabled,
				  .failed = r->failed, .locked_until = r->locked_until};
	int role = sk_role_parse(r->role);
	sk_strlcpy(u.name, r->name, sizeof(u.name));
	u.role = role < 0 ? SK_ROLE_VIEWER : (enum sk_role)role;
	return l->cb(l->arg, &u);
}

int sk_staff_list(struct sk_core *c, sk_staff_user_cb cb, void *arg, struct sk_errctx *err)
{
	struct list_ctx l = {cb, arg};
	int rc = sk_store_staff_each(c->store, list_one, &l);
	return rc && rc != err->code ? sk__store_err(err, rc, "reading staff users") : rc;
}

int sk_staff_password_new(char *out, size_t outlen)
{
	/* no 0/O, 1/l/I: read aloud or typed from a terminal without a doubt */
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	uint8_t r[24];
	if (outlen < sizeof(r) + 1 || sk_random(r, sizeof(r)))
		return SK_ERR_IO;
	for (size_t i = 0; i < sizeof(r); i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[sizeof(r)] = '\0';
	sk_vault_wipe(r, sizeof(r));
	return 0;
}

/* A new session for who (staff user name or "", key id or ""), its cookie value. */
static int session_new(struct sk_core *c, const char *user, const char *key_id, const char *who,
		       enum sk_role role, const struct sk_session_opts *o, struct sk_staff *out,
		       char cookie[SK_SESSION_STRLEN], struct sk_errctx *err)
{
	struct sk_session_rec ss = {0};
	uint8_t secret[32];
	char hex[65];
	int64_t now = sk_time_now();
	if (sk_id_new("s_", ss.id) || sk_random(secret, sizeof(secret)))
		return sk_errf(err, SK_ERR_IO, "no randomness for a session");
	sk_hex(secret, sizeof(secret), hex);
	sk_vault_sha256(hex, strlen(hex), ss.secret_hash);
	sk_strlcpy(ss.staff, user, sizeof(ss.staff));
	sk_strlcpy(ss.key_id, key_id, sizeof(ss.key_id));
	sk_strlcpy(ss.who, who, sizeof(ss.who));
	sk_strlcpy(ss.role, sk_role_name(role), sizeof(ss.role));
	ss.created_at = ss.last_seen = now;
	ss.expires_at = now + absolute_of(o);
	int rc = sk_store_session_purge(c->store, now);
	rc = rc ? rc : sk_store_session_put(c->store, &ss);
	if (rc) {
		sk__store_err(err, rc, "storing a session");
	} else {
		memset(out, 0, sizeof(*out));
		sk_strlcpy(out->name, who, sizeof(out->name));
		out->role = role;
		sk_strlcpy(out->session_id, ss.id, sizeof(out->session_id));
		snprintf(cookie, SK_SESSION_STRLEN, "%s.%s", ss.id, hex);
	}
	sk_vault_wipe(secret, sizeof(secret));
	sk_vault_wipe(hex, sizeof(hex));
	return rc;
}

/* A failed sign-in that names no user: audited as "?", then answered code with msg. */
static int failed_unknown(struct sk_core *c, const char *detail, int code, const char *msg,
			  struct sk_errctx *err)
{
	int rc = sk__core_begin(c, err);
	if (rc)
		return rc;
	rc = audit_as(c, "?", "", "sign_in.failed", "", detail, err);
	rc = sk__core_end(c, rc, err);
	return rc ? rc : sk_errf(err, code, "%s", msg);
}

#define SIGN_IN_REFUSED "wrong name or password, or the user is locked or disabled"

int sk_staff_sign_in(struct sk_core *c, const char *name, const char *password,
		     const struct sk_session_opts *o, struct sk_staff *out,
		     char cookie[SK_SESSION_STRLEN], struct sk_errctx *err)
{
	struct sk_staff_rec u;
	int64_t now = sk_time_now();
	int known = 0, rc;

	memset(out, 0, sizeof(*out));
	if (name_ok(name)) {
		rc = sk_store_staff_get(c->store, name, &u);
		if (rc && rc != SK_ERR_NOT_FOUND)
			return sk__store_err(err, rc, "reading a staff user");
		known = rc == 0;
	}
	/* the same work whether or not the name is known */
	int match = sk_vault_password_verify(known ? u.hash : sk_vault_password_dummy(),
					     password ? password : "");
	if (!known) /* audited without the name typed: it may be anything, a password too */
		return failed_unknown(c, "unknown name", SK_ERR_UNAUTHORIZED, SIGN_IN_REFUSED, err);

	if ((rc = sk__core_begin(c, err)))
		return rc;
	/* again in the write transaction: another sign-in may have counted a failure */
	if ((rc = sk_store_staff_get(c->store, name, &u))) {
		sk__store_err(err, rc, "reading a staff user");
		return sk__core_end(c, rc, err);
	}
	int locked = u.locked_until > now, ok = match && !u.disabled && !locked;
	int role = sk_role_parse(u.role);
	if (ok && role >= 0) {
		u.failed = 0;
		u.locked_until = 0;
		rc = sk_store_staff_update(c->store, &u);
		if (rc)
			sk__store_err(err, rc, "writing a staff user");
		rc = rc ? rc : session_new(c, u.name, "", u.name, (enum sk_role)role, o, out, cookie, err);
		rc = rc ? rc : audit_as(c, u.name, u.role, "sign_in", "", "password", err);
		return sk__core_end(c, rc, err);
	}
	const char *action = "sign_in.failed", *detail = "";
	if (u.disabled) {
		detail = "disabled";
	} else if (locked) {
		detail = "locked";
	} else if (++u.failed >= SK_STAFF_LOCK_AFTER) {
		u.failed = 0;
		u.locked_until = now + SK_STAFF_LOCK_SECONDS;
		action = "sign_in.locked";
		detail = "locked for 15 minutes after 5 failed sign-ins";
	}
	rc = sk_store_staff_update(c->store, &u);
	if (rc)
		sk__store_err(err, rc, "writing a staff user");
	rc = rc ? rc : audit_as(c, u.name, u.role, action, "", detail, err);
	rc = sk__core_end(c, rc, err);
	return rc ? rc : sk_errf(err, SK_ERR_UNAUTHORIZED, "%s", SIGN_IN_REFUSED);
}

/* The highest role whose scopes k holds all of; -1 when not even the lowest's. */
static int key_role(const struct sk_key_rec *k)
{
	static const char *const scopes[] = {
#define SK__ROLE_SCOPES(n, s, sc) sc,
		SK_ROLE_LIST(SK__ROLE_SCOPES)
#undef SK__ROLE_SCOPES
	};
	int best = -1;
	for (int r = 0; r < SK_ROLE_COUNT; r++) {
		int all = 1;
		for (const char *p = scopes[r]; *p && all;) {
			char one[16];
			size_t len = strcspn(p, ",");
			snprintf(one, sizeof(one), "%.*s", (int)len, p);
			all = sk_key_has_scope(k, one);
			p += len + (p[len] == ',');
		}
		if (all)
			best = r;
	}
	return best;
}

int sk_staff_sign_in_key(struct sk_core *c, const char *key, const struct sk_session_opts *o,
			 struct sk_staff *out, char cookie[SK_SESSION_STRLEN],
			 struct sk_errctx *err)
{
	struct sk_key_rec k;
	char who[80];
	memset(out, 0, sizeof(*out));
	int rc = sk_key_authenticate(c, key, &k, err);
	if (rc == SK_ERR_UNAUTHORIZED)
		return failed_unknown(c, "unknown or revoked API key", rc, "unknown or revoked API key",
				      err);
	if (rc)
		return rc;
	int role = key_role(&k);
	snprintf(who, sizeof(who), "key:%s", k.name);
	if ((rc = sk__core_begin(c, err)))
		return rc;
	if (role < 0) {
		rc = audit_as(c, who, "", "sign_in.failed", "", "the key lacks the read scope", err);
		rc = sk__core_end(c, rc, err);
		return rc ? rc : sk_errf(err, SK_ERR_FORBIDDEN, "this API key may not sign in: it "
					 "lacks the read scope");
	}
	rc = session_new(c, "", k.id, who, (enum sk_role)role, o, out, cookie, err);
	rc = rc ? rc : audit_as(c, out->name, sk_role_name(out->role), "sign_in", "", "api key", err);
	return sk__core_end(c, rc, err);
}

void sk_staff_csrf(struct sk_core *c, const char *session_id, char out[SK_CSRF_STRLEN])
{
	uint8_t h[32];
	sk_vault_keyed_hash(c->vault, "console csrf", session_id, strlen(session_id), h);
	sk_hex(h, sizeof(h), out);
}

int sk_staff_csrf_ok(struct sk_core *c, const struct sk_staff *who, const char *token)
{
	char want[SK_CSRF_STRLEN];
	if (!who || !who->session_id[0] || !token || strlen(token) != 64)
		return 0;
	sk_staff_csrf(c, who->session_id, want);
	return sk_vault_equal(want, token, 64);
}

#define SESSION_REFUSED "no session, or it has ended: sign in"

int sk_staff_session_check(struct sk_core *c, const char *cookie, const struct sk_session_opts *o,
			   struct sk_staff *out, char csrf[SK_CSRF_STRLEN], struct sk_errctx *err)
{
	struct sk_session_rec ss;
	char id[SK_ID_LEN + 1];
	uint8_t h[SK_HASH_LEN];
	const char *dot = cookie ? strchr(cookie, '.') : NULL;
	int64_t now = sk_time_now();

	memset(out, 0, sizeof(*out));
	csrf[0] = '\0';
	if (!dot || dot - cookie != SK_ID_LEN || strlen(dot + 1) != 64)
		return sk_errf(err, SK_ERR_UNAUTHORIZED, SESSION_REFUSED);
	memcpy(id, cookie, SK_ID_LEN);
	id[SK_ID_LEN] = '\0';
	int rc = sk_store_session_get(c->store, id, &ss);
	if (rc == SK_ERR_NOT_FOUND)
		return sk_errf(err, SK_ERR_UNAUTHORIZED, SESSION_REFUSED);
	if (rc)
		return sk__store_err(err, rc, "reading a session");
	sk_vault_sha256(dot + 1, 64, h);
	int role = sk_role_parse(ss.role);
	if (!sk_vault_equal(h, ss.secret_hash, SK_HASH_LEN) || role < 0)
		return sk_errf(err, SK_ERR_UNAUTHORIZED, SESSION_REFUSED);
	int ended = now >= ss.expires_at || now - ss.last_seen >= idle_of(o);
	if (!ended && ss.staff[0]) { /* a user disabled since */
		struct sk_staff_rec u;
		rc = sk_store_staff_get(c->store, ss.staff, &u);
		if (rc && rc != SK_ERR_NOT_FOUND)
			return sk__store_err(err, rc, "reading a staff user");
		ended = rc == SK_ERR_NOT_FOUND || u.disabled;
	} else if (!ended) { /* a key revoked since */
		struct sk_key_rec k;
		rc = sk_store_key_get(c->store, ss.key_id, &k);
		if (rc && rc != SK_ERR_NOT_FOUND)
			return sk__store_err(err, rc, "reading API keys");
		ended = rc == SK_ERR_NOT_FOUND || k.revoked_at;
	}
	if (ended) {
		sk_store_session_delete(c->store, ss.id); /* the next request need not look again */
		return sk_errf(err, SK_ERR_UNAUTHORIZED, SESSION_REFUSED);
	}
	if (now - ss.last_seen >= SK_STAFF_TOUCH_SECONDS &&
	    (rc = sk_store_session_touch(c->store, ss.id, now)))
		return sk__store_err(err, rc, "noting a session's use");
	sk_strlcpy(out->name, ss.who, sizeof(out->name));
	out->role = (enum sk_role)role;
	sk_strlcpy(out->session_id, ss.id, sizeof(out->session_id));
	sk_staff_csrf(c, ss.id, csrf);
	return 0;
}

int sk_staff_sign_out(struct sk_core *c, const struct sk_staff *who, struct sk_errctx *err)
{
	int rc = sk__core_begin(c, err);
	if (rc)
		return rc;
	if ((rc = sk_store_session_delete(c->store, who->session_id)))
		sk__store_err(err, rc, "ending a session");
	rc = rc ? rc : audit_as(c, who->name, sk_role_name(who->role), "sign_out", "", "", err);
	return sk__core_end(c, rc, err);
}

int sk_staff_audit_read(struct sk_core *c, int64_t before, long limit, sk_staff_audit_cb cb,
			void *arg, struct sk_errctx *err)
{
	int rc = sk_store_staff_audit_each(c->store, before, limit, cb, arg);
	return rc && rc != err->code ? sk__store_err(err, rc, "reading the staff audit trail") : rc;
}
