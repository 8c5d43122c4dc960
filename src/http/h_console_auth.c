/* h_console_auth.c: the console's sign-in and sign-out (docs/console.md, "Signing in and
 * sessions") and the staff audit trail's page and exports ("The audit trail"). Each parses,
 * makes one core call (sk_staff_*) and renders (render/console_auth.c); the session, role
 * and CSRF checks of the other console routes are the server's (server.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr */
#endif
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "util/mem.h"
#include "util/str.h"
#include "vault/vault.h"

#define AUDIT_PAGE 50              /* rows of the trail per page */
#define AUDIT_EXPORT_MAX (64u << 20) /* bytes of an export */

/* ---- sign-in ---- */

/* next as the sign-in form may carry it on: a path under /console (never a URL, never
 * another host: no "//", no backslash, no control or quoting character, no "/.." nor an
 * escaped dot that a browser would resolve as one); NULL otherwise. */
static const char *next_ok(const char *next)
{
	if (!next || strncmp(next, "/console", 8) != 0 || !strchr("/?", next[8]) ||
	    strlen(next) > 512 || strstr(next, "//") || strstr(next, "/..") || strcasestr(next, "%2e"))
		return next && strcmp(next, "/console") == 0 ? next : NULL;
	for (const char *p = next; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\\\"'<>`", *p))
			return NULL;
	return next;
}

static int sign_in_page(struct sk_req *r, int status, const char *next, enum sk_con_msg error,
			int key_error)
{
	struct sk_buf b;
	struct sk_con_frame f;
	sk_con_frame_of(r, SK_NAV_NONE, &f);
	int rc = sk_con_sign_in_page(&b, &f, next_ok(next), error ? sk_con_msg(f.lang, error) : NULL,
				     key_error);
	return sk_con_reply(r, &b, status, rc);
}

int sk_h_con_sign_in_page(struct sk_req *r)
{
	return sign_in_page(r, 200, sk_req_arg(r, "next"), 0, 0);
}

struct sign_in_form {
	const char *name, *password, *key, *next;
};

void sk_con_cookie(struct sk_req *r, const char *value)
{
	const char *pub = sk_server_cfg()->public_url;
	int secure = pub && strncmp(pub, "https:", 6) == 0;
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=%s; Path=/console;%s HttpOnly; "
		 "SameSite=Strict%s", SK_CON_COOKIE, value ? value : "", value ? "" : " Max-Age=0;",
		 secure ? "; Secure" : "");
}

/* POST /console/sign-in: from our own origin, within the client address's rate (the forms'
 * --form-rate-limit a minute, a bucket of its own), by name and password or by an API key;
 * 303 to next (or /console) with the session's cookie, or the page again with why. */
int sk_h_con_sign_in(struct sk_req *r)
{
	const struct sk_server_config *cfg = sk_server_cfg();
	struct sign_in_form form = {0};
	char bucket[96] = "console:", cookie[SK_SESSION_STRLEN];
	char *store = NULL;
	struct sk_session_opts o = sk_con_session_opts();
	int rc;

	if (!sk_origin_own(r, sk_req_header(r, "Origin")))
		return sign_in_page(r, 403, NULL, SK_CON_SIGN_IN_ORIGIN, 0);
	sk_client_bucket(r, bucket + 8, sizeof(bucket) - 8);
	if ((r->retry_after = sk_http_rate(bucket, cfg->form_rate / 60.0, cfg->form_rate)))
		return sign_in_page(r, 429, NULL, SK_CON_SIGN_IN_RATE, 0);
	const struct sk_post_field fields[] = {
		{"name", &form.name}, {"password", &form.password}, {"key", &form.key},
		{"next", &form.next}, {NULL, NULL},
	};
	if ((rc = sk_req_form(r, fields, &store))) {
		sk_free(store);
		return sign_in_page(r, 400, NULL, SK_CON_SIGN_IN_FAILED, 0);
	}
	int by_key = form.key && form.key[0];
	if (by_key)
		rc = sk_staff_sign_in_key(r->core, form.key, &o, &r->staff, cookie, &r->err);
	else
		rc = sk_staff_sign_in(r->core, form.name ? form.name : "",
				      form.password ? form.password : "", &o, &r->staff, cookie,
				      &r->err);
	if (rc == SK_ERR_UNAUTHORIZED || rc == SK_ERR_FORBIDDEN) {
		/* the name is not shown again: it may be a password typed in the wrong box */
		rc = sign_in_page(r, 403, form.next, by_key ? SK_CON_SIGN_IN_KEY_FAILED
							   : SK_CON_SIGN_IN_FAILED, by_key);
		sk_free(store);
		return rc;
	}
	if (!rc) {
		const char *next = next_ok(form.next);
		sk_con_cookie(r, cookie);
		snprintf(r->location, sizeof(r->location), "%s", next ? next : "/console");
		rc = sk_reply_text(r, 303, "");
		r->content_type = "text/html; charset=utf-8";
	}
	sk_vault_wipe(cookie, sizeof(cookie));
	if (store) { /* the password and key in it */
		sk_vault_wipe(store, strlen(store));
		sk_free(store);
	}
	return rc;
}

/* POST /console/sign-out (@view: any role; the server checked the CSRF token). */
int sk_h_con_sign_out(struct sk_req *r)
{
	int rc = sk_staff_sign_out(r->core, &r->staff, &r->err);
	if (rc)
		return rc;
	sk_con_cookie(r, NULL);
	snprintf(r->location, sizeof(r->location), "/console/sign-in");
	rc = sk_reply_text(r, 303, "");
	r->content_type = "text/html; charset=utf-8";
	return rc;
}

/* ---- the audit trail ---- */

struct rows {
	struct sk_staff_audit_rec a[AUDIT_PAGE + 1];
	size_t n;
};

static int rows_take(void *arg, const struct sk_staff_audit_rec *a)
{
	struct rows *rs = arg;
	rs->a[rs->n++] = *a;
	return 0;
}

/* GET /console/audit[?before=SEQ] (@audit). */
int sk_h_con_audit(struct sk_req *r)
{
	const char *before_s = sk_req_arg(r, "before");
	long long before = 0;
	char *end = NULL;
	struct sk_buf b;
	struct sk_con_frame f;
	if (before_s) {
		before = strtoll(before_s, &end, 10);
		if (end == before_s || *end || before < 1)
			return sk_errf(&r->err, SK_ERR_INVALID, "before is a sequence number");
	}
	struct rows *rs = sk_calloc(1, sizeof(*rs));
	if (!rs)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	int rc = sk_staff_audit_read(r->core, before, AUDIT_PAGE + 1, rows_take, rs, &r->err);
	if (!rc) {
		size_t n = rs->n > AUDIT_PAGE ? AUDIT_PAGE : rs->n;
		int64_t older = rs->n > AUDIT_PAGE ? rs->a[AUDIT_PAGE - 1].seq : 0;
		sk_con_frame_of(r, SK_NAV_AUDIT, &f);
		rc = sk_con_reply(r, &b, 200, sk_con_audit_page(&b, &f, rs->a, n, older, before == 0));
	}
	sk_free(rs);
	return rc;
}

/* An export of the trail is itself a row of it (written first, so the export holds it). */
static int export_noted(struct sk_req *r, const char *format)
{
	int rc = sk_core_batch_begin(r->core, &r->err);
	if (rc)
		return rc;
	if ((rc = sk_staff_audit(r->core, &r->staff, "audit.export", "", format, &r->err))) {
		sk_core_batch_rollback(r->core);
		return rc;
	}
	return sk_core_batch_commit(r->core, &r->err);
}

static int csv_take(void *arg, const struct sk_staff_audit_rec *a)
{
	return sk_con_audit_csv_row(arg, a);
}

/* GET /console/audit.csv (@audit): the whole trail, newest first (audited: audit.export). */
int sk_h_con_audit_csv(struct sk_req *r)
{
	struct sk_buf b;
	int rc = export_noted(r, "csv");
	if (rc)
		return rc;
	sk_buf_init(&b, AUDIT_EXPORT_MAX);
	rc = sk_con_audit_csv_head(&b);
	if (rc)
		rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	else if ((rc = sk_staff_audit_read(r->core, 0, 0, csv_take, &b, &r->err)) && !r->err.msg[0])
		rc = sk_errf(&r->err, SK_ERR_TOO_LARGE, "the audit trail is larger than an export "
			     "holds");
	if (!rc && (rc = sk_reply_text(r, 200, b.data ? b.data : "")) == 0) {
		r->content_type = "text/csv; charset=utf-8";
		r->disposition = "attachment; filename=\"samtycke-audit.csv\"";
	}
	sk_buf_reset(&b);
	return rc;
}

static int json_take(void *arg, const struct sk_staff_audit_rec *a)
{
	return sk_con_audit_json_row(arg, a);
}

/* GET /console/audit.json (@audit): {"events": [...]}, newest first (audited). */
int sk_h_con_audit_json(struct sk_req *r)
{
	int rc = export_noted(r, "json");
	if (rc)
		return rc;
	json_t *list = json_array();
	if (!list)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	rc = sk_staff_audit_read(r->core, 0, 0, json_take, list, &r->err);
	if (rc) {
		json_decref(list);
		return r->err.msg[0] ? rc : sk_errf(&r->err, rc, "out of memory");
	}
	if ((rc = sk_reply_json(r, 200, json_pack("{s:o}", "events", list))) == 0)
		r->disposition = "attachment; filename=\"samtycke-audit.json\"";
	return rc;
}
