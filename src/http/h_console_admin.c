/* h_console_admin.c: the console's audiences, retention, and webhooks, API keys and staff
 * users pages (docs/console.md). The server has checked the session, the role (the route's
 * "@CAN") and a POST's CSRF token before these run; each parses, makes one core call (with
 * its sk_staff_audit in the same batch where the core allows) and renders
 * (render/console_admin.c). */
#include <stdio.h>
#include <string.h>

#include "core/webhook.h"
#include "http/http.h"
#include "http/http_int.h"
#include "io/io.h"
#include "util/mem.h"
#include "util/sktime.h"
#include "util/str.h"

#define M(lang, name) sk_con_msg(lang, SK_CON_##name)

/* A core action and its audit row, committed together; nothing of either when one fails. */
static int audited(struct sk_req *r, int rc)
{
	if (rc) {
		sk_core_batch_rollback(r->core);
		return rc;
	}
	return sk_core_batch_commit(r->core, &r->err);
}

/* ---- audiences ---- */

int sk_h_con_audiences(struct sk_req *r)
{
	struct sk_con_frame f;
	struct sk_audience a;
	struct sk_buf b;
	const char *purpose = sk_req_arg(r, "purpose");
	const char *error = NULL;
	int status = 200, rc = 0;

	sk_con_frame_of(r, SK_NAV_AUDIENCES, &f);
	if (purpose && *purpose) {
		rc = sk_audience(r->core, purpose, sk_time_now(), &a, &r->err);
		if (rc == SK_ERR_UNKNOWN_PURPOSE) {
			error = M(f.lang, AUD_NO_PURPOSE);
			status = 404;
		} else if (rc) {
			return rc;
		}
	}
	rc = sk_con_audiences(&b, &f, purpose, purpose && !error ? &a : NULL,
			      sk_role_may(r->staff.role, SK_CAN_AUDIENCE), error);
	return sk_con_reply(r, &b, status, rc);
}

/* The allowed list: every address the gate allows for the purpose now, as the command
 * line's `export-contacts --allowed-only` writes it (io/export.c, exact RFC 4180), audited with the
 * purpose and the count before it is sent. */
int sk_h_con_audience_export(struct sk_req *r)
{
	char *csv = NULL, detail[48];
	size_t len = 0;
	long n = 0;
	int rc;
	FILE *out = open_memstream(&csv, &len);
	if (!out)
		return sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	rc = sk_export_contacts(r->core, r->param, SK_EXPORT_CSV, 1, out, &n, &r->err);
	if (fclose(out) && !rc)
		rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	if (rc == SK_ERR_UNKNOWN_PURPOSE) {
		struct sk_con_frame f;
		struct sk_buf b;
		sk_con_frame_of(r, SK_NAV_AUDIENCES, &f);
		rc = sk_con_audiences(&b, &f, NULL, NULL, 0, M(f.lang, AUD_NO_PURPOSE));
		rc = sk_con_reply(r, &b, 404, rc);
		goto out;
	}
	if (rc)
		goto out;
	snprintf(detail, sizeof(detail), "count=%ld", n);
	if (!(rc = sk_core_batch_begin(r->core, &r->err)))
		rc = audited(r, sk_staff_audit(r->core, &r->staff, "audience.export", r->param, detail,
					       &r->err));
	if (rc)
		goto out;
	rc = sk_reply_text(r, 200, csv ? csv : "");
	r->content_type = "text/csv; charset=utf-8; header=present";
	r->disposition = "attachment; filename=\"allowed.csv\"";
out:
	free(csv); /* open_memstream's, from the C library */
	return rc;
}

/* ---- retention ---- */

static int pending_days(void)
{
	const struct sk_server_config *cfg = sk_server_cfg();
	return cfg && cfg->pending_days ? cfg->pending_days : 7; /* as the daemon's purge */
}

int sk_h_con_retention(struct sk_req *r)
{
	struct sk_con_frame f;
	struct sk_purge_report rep = {0};
	struct sk_buf b;
	int rc = sk_purge(r->core, sk_time_now(), pending_days(), 1, &rep, &r->err);
	if (rc)
		return rc;
	sk_con_frame_of(r, SK_NAV_RETENTION, &f);
	rc = sk_con_retention(&b, &f, &rep, NULL);
	sk_purge_report_reset(&rep);
	return sk_con_reply(r, &b, 200, rc);
}

/* The purge runs one transaction per contact (core/rights.c), so its audit row is written
 * after it, with the counts (docs/console.md). */
int sk_h_con_retention_run(struct sk_req *r)
{
	struct sk_con_frame f;
	struct sk_purge_report rep = {0};
	struct sk_buf b;
	char detail[256];
	size_t used = 0;
	int rc = sk_purge(r->core, sk_time_now(), pending_days(), 0, &rep, &r->err);
	if (rc)
		return rc;
	for (int i = 0; i < SK_PURGE_NREASONS && used < sizeof(detail); i++)
		used += (size_t)snprintf(detail + used, sizeof(detail) - used, "%s=%zu ",
					 sk_purge_reason_name((enum sk_purge_reason)i),
					 rep.by_reason[i].n);
	if (used < sizeof(detail))
		snprintf(detail + used, sizeof(detail) - used, "total=%ld", rep.total);
	if (!(rc = sk_core_batch_begin(r->core, &r->err)))
		rc = audited(r, sk_staff_audit(r->core, &r->staff, "retention.purge", "purge", detail,
					       &r->err));
	if (rc) {
		sk_purge_report_reset(&rep);
		return rc;
	}
	sk_con_frame_of(r, SK_NAV_RETENTION, &f);
	rc = sk_con_retention(&b, &f, &rep, NULL);
	sk_purge_report_reset(&rep);
	return sk_con_reply(r, &b, 200, rc);
}

/* ---- webhooks and API keys ---- */

struct keylist {
	struct sk_key_rec *k;
	size_t n, cap;
};

static int key_take(void *arg, const struct sk_key_rec *k)
{
	struct keylist *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *p = sk_realloc(l->k, cap * sizeof(*l->k));
		if (!p)
			return SK_ERR_NOMEM;
		l->k = p;
		l->cap = cap;
	}
	l->k[l->n] = *k;
	memset(l->k[l->n++].secret_hash, 0, SK_HASH_LEN); /* not the page's */
	return 0;
}

struct userlist {
	struct sk_staff_user *u;
	size_t n, cap;
};

static int user_take(void *arg, const struct sk_staff_user *u)
{
	struct userlist *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *p = sk_realloc(l->u, cap * sizeof(*l->u));
		if (!p)
			return SK_ERR_NOMEM;
		l->u = p;
		l->cap = cap;
	}
	l->u[l->n++] = *u;
	return 0;
}

/* The page with the endpoints, keys and users as they are now, and what v says happened. */
static int admin_page(struct sk_req *r, int status, struct sk_con_admin_view *v)
{
	struct sk_con_frame f;
	struct sk_webhook_info *w = NULL;
	struct keylist keys = {0};
	struct userlist users = {0};
	struct sk_buf b;
	size_t nw = 0;
	int rc = sk_webhook_list(r->core, &w, &nw, &r->err);
	rc = rc ? rc : sk_key_list(r->core, key_take, &keys, &r->err);
	rc = rc ? rc : sk_staff_list(r->core, user_take, &users, &r->err);
	if (!rc) {
		v->users = users.u;
		v->nusers = users.n;
		v->now = sk_time_now();
		sk_con_frame_of(r, SK_NAV_ADMIN, &f);
		v->webhooks = w;
		v->nwebhooks = nw;
		v->keys = keys.k;
		v->nkeys = keys.n;
		rc = sk_con_admin(&b, &f, v);
		rc = sk_con_reply(r, &b, status, rc);
	}
	sk_free(w);
	sk_free(keys.k);
	sk_free(users.u);
	return rc;
}

int sk_h_con_admin(struct sk_req *r)
{
	struct sk_con_admin_view v = {0};
	return admin_page(r, 200, &v);
}

/* The fields of an action's form; scope may repeat. */
struct admin_form {
	const char *op, *id, *name, *url, *events, *role;
	char scopes[64];
	int bad;
	char *store;
};

static int admin_pair(void *arg, struct sk_req *r, const char *k, const char *v)
{
	struct admin_form *p = arg;
	(void)r;
	if (strcmp(k, "op") == 0)
		p->op = v;
	else if (strcmp(k, "id") == 0)
		p->id = v;
	else if (strcmp(k, "name") == 0)
		p->name = v;
	else if (strcmp(k, "url") == 0)
		p->url = v;
	else if (strcmp(k, "events") == 0)
		p->events = v;
	else if (strcmp(k, "role") == 0)
		p->role = v;
	else if (strcmp(k, "scope") == 0) {
		size_t used = strlen(p->scopes), n = strlen(v);
		if (used + n + 2 > sizeof(p->scopes))
			p->bad = 1;
		else
			snprintf(p->scopes + used, sizeof(p->scopes) - used, "%s%s", used ? "," : "", v);
	}
	return 0; /* csrf (checked by the server) and anything else: ignored */
}

/* The page's actions: the form's op, the audit trail's name for it (NULL: the core call
 * audits itself, as the staff user changes do), what the page says when it is done, and
 * what it shows once. */
enum admin_op {
	OP_WEBHOOK_ADD, OP_WEBHOOK_ROTATE, OP_WEBHOOK_DISABLE, OP_KEY_CREATE, OP_KEY_REVOKE,
	OP_USER_ADD, OP_USER_DISABLE, OP_USER_UNLOCK
};
static const struct {
	const char *op, *audit;
	enum sk_con_msg done;
	int once; /* 1: a webhook secret; 2: an API key; 3: a password */
} ops[] = {
	[OP_WEBHOOK_ADD] = {"webhook-add", "webhook.add", SK_CON_ADM_ADDED, 1},
	[OP_WEBHOOK_ROTATE] = {"webhook-rotate", "webhook.rotate", SK_CON_ADM_ROTATED, 1},
	[OP_WEBHOOK_DISABLE] = {"webhook-disable", "webhook.disable", SK_CON_ADM_DISABLED_DONE, 0},
	[OP_KEY_CREATE] = {"key-create", "key.create", SK_CON_ADM_KEY_CREATED, 2},
	[OP_KEY_REVOKE] = {"key-revoke", "key.revoke", SK_CON_ADM_KEY_REVOKED, 0},
	[OP_USER_ADD] = {"user-add", NULL, SK_CON_ADM_USER_ADDED, 3},
	[OP_USER_DISABLE] = {"user-disable", NULL, SK_CON_ADM_USER_DISABLED, 0},
	[OP_USER_UNLOCK] = {"user-unlock", NULL, SK_CON_ADM_USER_UNLOCKED, 0},
};

/* One action of the page: its core call and its audit row in one batch. */
static int admin_action(struct sk_req *r, struct admin_form *p, struct sk_con_admin_view *v,
			char *once, size_t oncelen)
{
	int lang = sk_page_lang(r, NULL);
	char id[SK_ID_LEN + 1] = "";
	const char *target = NULL;
	size_t op = 0;
	int rc;
	while (op < sizeof(ops) / sizeof(ops[0]) && (!p->op || strcmp(p->op, ops[op].op) != 0))
		op++;
	if (op == sizeof(ops) / sizeof(ops[0]))
		return sk_errf(&r->err, SK_ERR_INVALID, "the form names no known action");
	if (op >= OP_USER_ADD && !p->name)
		return sk_errf(&r->err, SK_ERR_INVALID, "name: which user");
	if ((rc = sk_core_batch_begin(r->core, &r->err)))
		return rc;
	switch ((enum admin_op)op) {
	case OP_WEBHOOK_ADD:
		rc = sk_webhook_add(r->core, p->url, p->events, p->name,
				    sk_server_cfg()->allow_private_webhooks, id, once, &r->err);
		target = id;
		break;
	case OP_WEBHOOK_ROTATE:
		rc = sk_webhook_rotate(r->core, p->id, once, &r->err);
		target = p->id;
		break;
	case OP_WEBHOOK_DISABLE:
		rc = sk_webhook_disable(r->core, p->id, &r->err);
		target = p->id;
		break;
	case OP_KEY_CREATE:
		rc = p->bad ? sk_errf(&r->err, SK_ERR_INVALID, "scopes: too many")
			    : sk_key_create(r->core, p->name, p->scopes, once, &r->err);
		target = p->name;
		break;
	case OP_KEY_REVOKE:
		rc = p->name ? sk_key_revoke(r->core, p->name, &r->err)
			     : sk_errf(&r->err, SK_ERR_INVALID, "name: which key to revoke");
		target = p->name;
		break;
	case OP_USER_ADD: {
		int role = sk_role_parse(p->role);
		if (role < 0)
			rc = sk_errf(&r->err, SK_ERR_INVALID, "role: viewer, marketer, dpo or admin");
		else if ((rc = sk_staff_password_new(once, oncelen)))
			rc = sk_errf(&r->err, rc, "cannot make a password");
		else
			rc = sk_staff_add(r->core, &r->staff, p->name, (enum sk_role)role, once,
					  &r->err);
		break;
	}
	case OP_USER_DISABLE:
		rc = p->name && strcmp(p->name, r->staff.name) == 0
			     ? sk_errf(&r->err, SK_ERR_INVALID, "you cannot disable yourself here")
			     : sk_staff_disable(r->core, &r->staff, p->name, &r->err);
		break;
	case OP_USER_UNLOCK:
		rc = sk_staff_unlock(r->core, &r->staff, p->name, &r->err);
		break;
	}
	if (!rc && ops[op].audit)
		rc = sk_staff_audit(r->core, &r->staff, ops[op].audit, target,
				    op == OP_KEY_CREATE ? p->scopes : NULL, &r->err);
	rc = audited(r, rc);
	if (rc) {
		sk_vault_wipe(once, oncelen);
		return rc;
	}
	v->done = sk_con_msg(lang, ops[op].done);
	if (ops[op].once) {
		v->once = once;
		v->once_label = ops[op].once == 1   ? M(lang, ADM_SECRET_ONCE)
				: ops[op].once == 2 ? M(lang, ADM_KEY_ONCE)
						    : M(lang, ADM_PASSWORD_ONCE);
	}
	return 0;
}

int sk_h_con_admin_post(struct sk_req *r)
{
	struct admin_form p = {0};
	struct sk_con_admin_view v = {0};
	char once[SK_KEY_STRLEN > SK_WEBHOOK_SECRET_MAX ? SK_KEY_STRLEN : SK_WEBHOOK_SECRET_MAX] = "";
	int rc = sk_req_urlencoded(r, admin_pair, &p, &p.store);
	rc = rc ? rc : admin_action(r, &p, &v, once, sizeof(once));
	int status = 200;
	if (rc == SK_ERR_NOMEM || rc == SK_ERR_IO || rc == SK_ERR_BUSY) {
		sk_free(p.store);
		return rc;
	}
	if (rc) {
		status = sk_err_http_status(rc);
		v = (struct sk_con_admin_view){.error = r->err.msg};
	}
	rc = admin_page(r, status, &v);
	sk_vault_wipe(once, sizeof(once));
	sk_free(p.store);
	return rc;
}
