/* console_admin.c: the console's pages for campaign audiences, retention, and webhooks, API
 * keys and staff users (docs/console.md): counts and lists only, never a person's data;
 * every form posts the session's CSRF token. */
#include <stdio.h>
#include <string.h>

#include "core/policy.h"
#include "core/vocab.h"
#include "core/webhook.h"
#include "render/console.h"
#include "util/sktime.h"

/* The gate's reasons and the purge's, in the catalogue, in their lists' order. */
static const enum sk_con_msg reason_msg[] = {
#define SK__RSN_MSG(name, str, allowed) SK_CON_RSN_##name,
	SK_REASON_LIST(SK__RSN_MSG)
#undef SK__RSN_MSG
};
static const enum sk_con_msg purge_msg[] = {
#define SK__PRG_MSG(name, str) SK_CON_PRG_##name,
	SK_PURGE_REASON_LIST(SK__PRG_MSG)
#undef SK__PRG_MSG
};

static const char *num(long long n, char *out, size_t len)
{
	snprintf(out, len, "%lld", n);
	return out;
}

#define M(name) sk_con_msg(f->lang, SK_CON_##name)

/* ---- audiences ---- */

static int audience_counts(struct sk_buf *b, const struct sk_con_frame *f, const char *purpose,
			   const struct sk_audience *a, int can_export)
{
	char n1[24], n2[24], at[SK_TIME_STRLEN];
	long excluded = 0;
	sk_time_format(a->at, at);
	int rc = sk_html(b, "<table class=\"audience\"><tbody><tr><th scope=\"row\">%s</th>"
			 "<td class=\"num\">%s</td></tr><tr><th scope=\"row\">%s</th>"
			 "<td class=\"num\" id=\"allowed\">%s</td></tr></tbody></table>\n"
			 "<p class=\"muted\">%s: <time datetime=\"%s\">%s</time></p>\n",
			 M(AUD_CONTACTS), num(a->contacts, n1, sizeof(n1)), M(AUD_ALLOWED),
			 num(a->allowed, n2, sizeof(n2)), M(AUD_AS_OF), at, at);
	if (!rc && can_export)
		rc = sk_html(b, "<p><a class=\"button\" id=\"export\" href=\"/console/audiences/%s/"
			     "allowed.csv\">%s</a></p>\n", purpose, M(AUD_EXPORT));
	rc = rc ? rc : sk_html(b, "<h2>%s</h2>\n", M(AUD_EXCLUDED));
	for (int i = 0; i < SK_NREASONS; i++)
		if (!sk_reason_allowed((enum sk_reason)i))
			excluded += a->by_reason[i];
	if (!excluded)
		return rc ? rc : sk_html(b, "<p>%s</p>\n", M(AUD_NONE_EXCLUDED));
	rc = rc ? rc : sk_html(b, "<table class=\"excluded\"><thead><tr><th scope=\"col\">%s</th>"
			       "<th scope=\"col\" class=\"num\">%s</th></tr></thead><tbody>",
			       M(COL_REASON), M(COL_COUNT));
	for (int i = 0; !rc && i < SK_NREASONS; i++) {
		if (sk_reason_allowed((enum sk_reason)i) || !a->by_reason[i])
			continue;
		rc = sk_html(b, "<tr data-reason=\"%s\"><th scope=\"row\">%s <code>%s</code></th>"
			     "<td class=\"num\">%s</td></tr>", sk_reason_name((enum sk_reason)i),
			     sk_con_msg(f->lang, reason_msg[i]), sk_reason_name((enum sk_reason)i),
			     num(a->by_reason[i], n1, sizeof(n1)));
	}
	return rc ? rc : sk_html(b, "</tbody></table>\n");
}

int sk_con_audiences(struct sk_buf *b, const struct sk_con_frame *f, const char *purpose,
		     const struct sk_audience *a, int can_export, const char *error)
{
	int rc = sk_con_begin(b, f, M(AUDIENCES_TITLE));
	rc = rc ? rc : sk_html(b, "<p>%s</p>\n<form method=\"get\" action=\"/console/audiences\" "
			       "class=\"inline\"><label for=\"purpose\">%s</label><select "
			       "id=\"purpose\" name=\"purpose\">", M(AUD_INTRO), M(AUD_PURPOSE));
	for (size_t i = 0; !rc && f->pol && i < f->pol->npurposes; i++) {
		const struct sk_purpose *p = &f->pol->purposes[i];
		if (p->kind != SK_KIND_COMMUNICATION)
			continue;
		rc = sk_html(b, "<option value=\"%s\"%s>%s</option>", p->id,
			     purpose && strcmp(purpose, p->id) == 0 ? " selected" : "",
			     p->title[f->lang] ? p->title[f->lang] : p->id);
	}
	rc = rc ? rc : sk_html(b, "</select> <button type=\"submit\">%s</button></form>\n",
			       M(AUD_SHOW));
	if (!rc && error)
		rc = sk_html(b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
	else if (!rc && a && purpose)
		rc = audience_counts(b, f, purpose, a, can_export);
	return rc;
}

/* ---- retention ---- */

int sk_con_retention(struct sk_buf *b, const struct sk_con_frame *f,
		     const struct sk_purge_report *rep, const char *error)
{
	char n[24];
	int rc = sk_con_begin(b, f, M(RET_TITLE));
	if (!rc && error)
		rc = sk_html(b, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
	if (!rc && rep) {
		rc = rep->dry_run ? sk_html(b, "<p>%s</p>\n", M(RET_INTRO))
				  : sk_html(b, "<p class=\"note\" role=\"status\">%s</p>\n", M(RET_DONE));
		rc = rc ? rc : sk_html(b, "<table class=\"purge\"><thead><tr><th scope=\"col\">%s"
				       "</th><th scope=\"col\" class=\"num\">%s</th></tr></thead>"
				       "<tbody>", M(COL_REASON), M(COL_COUNT));
		for (int i = 0; !rc && i < SK_PURGE_NREASONS; i++)
			rc = sk_html(b, "<tr data-reason=\"%s\"><th scope=\"row\">%s <code>%s</code>"
				     "</th><td class=\"num\">%s</td></tr>",
				     sk_purge_reason_name((enum sk_purge_reason)i),
				     sk_con_msg(f->lang, purge_msg[i]),
				     sk_purge_reason_name((enum sk_purge_reason)i),
				     num((long long)rep->by_reason[i].n, n, sizeof(n)));
		rc = rc ? rc : sk_html(b, "</tbody><tfoot><tr><th scope=\"row\">%s</th>"
				       "<td class=\"num\" id=\"total\">%s</td></tr></tfoot></table>\n",
				       M(RET_TOTAL), num(rep->total, n, sizeof(n)));
		/* the tracking events past their retention (docs/tracking.md): counted only when
		 * deleted */
		if (!rc && rep->dry_run)
			rc = sk_html(b, "<p class=\"muted\" id=\"tracking-events\">%s</p>\n",
				     M(RET_TRACKING_DRY));
		else if (!rc)
			rc = sk_html(b, "<p id=\"tracking-events\">%s <strong>%s</strong></p>\n",
				     M(RET_TRACKING), num(rep->tracking_events, n, sizeof(n)));
	}
	rc = rc ? rc : sk_html(b, "<form method=\"post\" action=\"/console/retention\">");
	rc = rc ? rc : sk_con_csrf(b, f);
	return rc ? rc : sk_html(b, "<p class=\"muted\">%s</p><button type=\"submit\" "
				 "class=\"danger\">%s</button></form>\n", M(RET_RUN_NOTE), M(RET_RUN));
}

/* ---- webhooks and API keys ---- */

/* A one-button form posting op (and a hidden field) to /console/admin. */
static int action(struct sk_buf *b, const struct sk_con_frame *f, const char *op,
		  const char *field, const char *value, const char *label, const char *what,
		  const char *cls)
{
	int rc = sk_html(b, "<form method=\"post\" action=\"/console/admin\" class=\"inline\">"
			 "<input type=\"hidden\" name=\"op\" value=\"%s\"><input type=\"hidden\" "
			 "name=\"%s\" value=\"%s\">", op, field, value);
	rc = rc ? rc : sk_con_csrf(b, f);
	return rc ? rc : sk_html(b, "<button type=\"submit\" class=\"%s\" aria-label=\"%s: %s\">"
				 "%s</button></form> ", cls, label, what, label);
}

static int webhooks(struct sk_buf *b, const struct sk_con_frame *f,
		    const struct sk_con_admin_view *v)
{
	char n1[24], n2[24], n3[24], st[16];
	int rc = sk_html(b, "<h2>%s</h2>\n", M(ADM_WEBHOOKS));
	if (!rc && !v->nwebhooks)
		rc = sk_html(b, "<p>%s</p>\n", M(ADM_NO_WEBHOOKS));
	if (!rc && v->nwebhooks)
		rc = sk_html(b, "<div class=\"scroll\"><table class=\"webhooks\"><thead><tr>"
			     "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s"
			     "</th><th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
			     "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\">%s</th>"
			     "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
			     "<th scope=\"col\">%s</th></tr></thead><tbody>\n",
			     M(ADM_NAME), M(ADM_URL), M(ADM_EVENTS), M(ADM_STATE), M(ADM_LAG),
			     M(ADM_DELIVERED), M(ADM_LAST_STATUS), M(ADM_LAST_ERROR), M(ADM_FAILED),
			     M(ADM_ACTIONS));
	for (size_t i = 0; !rc && i < v->nwebhooks; i++) {
		const struct sk_webhook_info *w = &v->webhooks[i];
		const char *name = w->name[0] ? w->name : w->id;
		if (w->last_status)
			snprintf(st, sizeof(st), "%d", w->last_status);
		else
			snprintf(st, sizeof(st), "\xe2\x80\x94");
		rc = sk_html(b, "<tr data-webhook=\"%s\"><th scope=\"row\">%s</th><td><code>%s</code>"
			     "</td><td>%s</td><td class=\"state\">%s</td><td class=\"num lag\">%s</td>"
			     "<td class=\"num delivered\">%s</td><td class=\"num status\">%s</td>"
			     "<td class=\"lasterror\">%s</td><td class=\"num\">%s</td><td>",
			     w->id, name, w->url, w->events,
			     w->enabled ? M(ADM_ENABLED) : M(ADM_DISABLED),
			     num(w->pending, n1, sizeof(n1)), num(w->last_delivered_seq, n2, sizeof(n2)),
			     st, w->last_error, num(w->failed_changes, n3, sizeof(n3)));
		rc = rc ? rc : action(b, f, "webhook-rotate", "id", w->id, M(ADM_ROTATE), name,
				      "secondary");
		if (!rc && w->enabled)
			rc = action(b, f, "webhook-disable", "id", w->id, M(ADM_DISABLE), name, "danger");
		rc = rc ? rc : sk_html(b, "</td></tr>\n");
	}
	if (!rc && v->nwebhooks)
		rc = sk_html(b, "</tbody></table></div>\n");
	rc = rc ? rc : sk_html(b, "<h3>%s</h3><form method=\"post\" action=\"/console/admin\" "
			       "class=\"add-webhook\"><input type=\"hidden\" name=\"op\" "
			       "value=\"webhook-add\">", M(ADM_ADD_WEBHOOK));
	rc = rc ? rc : sk_con_csrf(b, f);
	return rc ? rc : sk_html(b, "<label for=\"wh-name\">%s</label><input type=\"text\" "
				 "id=\"wh-name\" name=\"name\" maxlength=\"63\" required>"
				 "<label for=\"wh-url\">%s</label><input type=\"text\" id=\"wh-url\" "
				 "name=\"url\" inputmode=\"url\" required>"
				 "<label for=\"wh-events\">%s</label><input type=\"text\" "
				 "id=\"wh-events\" name=\"events\" value=\"all\" required "
				 "aria-describedby=\"wh-events-hint\"><p id=\"wh-events-hint\" "
				 "class=\"muted\">%s</p><button type=\"submit\">%s</button></form>\n",
				 M(ADM_NAME), M(ADM_URL), M(ADM_EVENTS), M(ADM_EVENTS_HINT), M(ADM_ADD));
}

static int keys(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_con_admin_view *v)
{
	static const char *const scopes[] = {"read", "write", "dsr", "admin", "metrics"};
	char at[SK_TIME_STRLEN], rev[SK_TIME_STRLEN];
	int rc = sk_html(b, "<h2>%s</h2>\n", M(ADM_KEYS));
	if (!rc && !v->nkeys)
		rc = sk_html(b, "<p>%s</p>\n", M(ADM_NO_KEYS));
	if (!rc && v->nkeys)
		rc = sk_html(b, "<table class=\"keys\"><thead><tr><th scope=\"col\">%s</th>"
			     "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s"
			     "</th><th scope=\"col\">%s</th></tr></thead><tbody>\n", M(ADM_NAME),
			     M(ADM_SCOPES), M(ADM_CREATED), M(ADM_STATE), M(ADM_ACTIONS));
	for (size_t i = 0; !rc && i < v->nkeys; i++) {
		const struct sk_key_rec *k = &v->keys[i];
		sk_time_format(k->created_at, at);
		if (k->revoked_at)
			sk_time_format(k->revoked_at, rev);
		rc = sk_html(b, "<tr data-key=\"%s\"><th scope=\"row\">%s</th><td>%s</td><td>%s</td>"
			     "<td class=\"state\">%s%s%s</td><td>", k->name, k->name, k->scopes, at,
			     k->revoked_at ? M(ADM_REVOKED) : M(ADM_ACTIVE),
			     k->revoked_at ? " " : "", k->revoked_at ? rev : "");
		if (!rc && !k->revoked_at)
			rc = action(b, f, "key-revoke", "name", k->name, M(ADM_REVOKE), k->name, "danger");
		rc = rc ? rc : sk_html(b, "</td></tr>\n");
	}
	if (!rc && v->nkeys)
		rc = sk_html(b, "</tbody></table>\n");
	rc = rc ? rc : sk_html(b, "<h3>%s</h3><form method=\"post\" action=\"/console/admin\" "
			       "class=\"create-key\"><input type=\"hidden\" name=\"op\" "
			       "value=\"key-create\">", M(ADM_CREATE_KEY));
	rc = rc ? rc : sk_con_csrf(b, f);
	rc = rc ? rc : sk_html(b, "<label for=\"key-name\">%s</label><input type=\"text\" "
			       "id=\"key-name\" name=\"name\" maxlength=\"63\" required><fieldset>"
			       "<legend>%s</legend>", M(ADM_NAME), M(ADM_SCOPES));
	for (size_t i = 0; !rc && i < sizeof(scopes) / sizeof(scopes[0]); i++)
		rc = sk_html(b, "<label class=\"check\"><input type=\"checkbox\" name=\"scope\" "
			     "value=\"%s\"%s> %s</label>", scopes[i], i == 0 ? " checked" : "",
			     scopes[i]);
	return rc ? rc : sk_html(b, "</fieldset><button type=\"submit\">%s</button></form>\n",
				 M(ADM_CREATE));
}

static int users(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_con_admin_view *v)
{
	char at[SK_TIME_STRLEN];
	int rc = sk_html(b, "<h2>%s</h2>\n", M(ADM_USERS));
	if (!rc && !v->nusers)
		rc = sk_html(b, "<p>%s</p>\n", M(ADM_NO_USERS));
	if (!rc && v->nusers)
		rc = sk_html(b, "<table class=\"users\"><thead><tr><th scope=\"col\">%s</th>"
			     "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s"
			     "</th><th scope=\"col\">%s</th></tr></thead><tbody>\n", M(ADM_NAME),
			     M(ADM_ROLE), M(ADM_CREATED), M(ADM_STATE), M(ADM_ACTIONS));
	for (size_t i = 0; !rc && i < v->nusers; i++) {
		const struct sk_staff_user *u = &v->users[i];
		int locked = u->locked_until > v->now;
		sk_time_format(u->created_at, at);
		rc = sk_html(b, "<tr data-user=\"%s\"><th scope=\"row\">%s</th><td>%s</td><td>%s</td>"
			     "<td class=\"state\">%s</td><td>", u->name, u->name,
			     sk_role_name(u->role), at,
			     u->disabled ? M(ADM_DISABLED) : locked ? M(ADM_LOCKED) : M(ADM_ACTIVE));
		if (!rc && locked && !u->disabled)
			rc = action(b, f, "user-unlock", "name", u->name, M(ADM_UNLOCK), u->name,
				    "secondary");
		/* an admin does not disable themself from here (the command line can) */
		if (!rc && !u->disabled && (!f->who || strcmp(f->who->name, u->name) != 0))
			rc = action(b, f, "user-disable", "name", u->name, M(ADM_DISABLE), u->name,
				    "danger");
		rc = rc ? rc : sk_html(b, "</td></tr>\n");
	}
	if (!rc && v->nusers)
		rc = sk_html(b, "</tbody></table>\n");
	rc = rc ? rc : sk_html(b, "<h3>%s</h3><form method=\"post\" action=\"/console/admin\" "
			       "class=\"add-user\"><input type=\"hidden\" name=\"op\" "
			       "value=\"user-add\">", M(ADM_ADD_USER));
	rc = rc ? rc : sk_con_csrf(b, f);
	rc = rc ? rc : sk_html(b, "<label for=\"user-name\">%s</label><input type=\"text\" "
			       "id=\"user-name\" name=\"name\" maxlength=\"63\" required>"
			       "<label for=\"user-role\">%s</label><select id=\"user-role\" "
			       "name=\"role\">", M(ADM_NAME), M(ADM_ROLE));
	for (int r = 0; !rc && r < SK_ROLE_COUNT; r++)
		rc = sk_html(b, "<option value=\"%s\">%s</option>", sk_role_name((enum sk_role)r),
			     sk_role_name((enum sk_role)r));
	return rc ? rc : sk_html(b, "</select> <button type=\"submit\">%s</button></form>\n",
				 M(ADM_ADD));
}

int sk_con_admin(struct sk_buf *b, const struct sk_con_frame *f, const struct sk_con_admin_view *v)
{
	int rc = sk_con_begin(b, f, M(ADM_TITLE));
	if (!rc && v->error)
		rc = sk_html(b, "<div class=\"error\" role=\"alert\"><p>%s</p><p lang=\"en\">%s</p>"
			     "</div>\n", M(ADM_FAILED_TEXT), v->error);
	if (!rc && v->done)
		rc = sk_html(b, "<div class=\"note\" role=\"status\"><p>%s</p>", v->done);
	if (!rc && v->done && v->once)
		rc = sk_html(b, "<p>%s</p><p><code id=\"once\">%s</code></p>", v->once_label, v->once);
	if (!rc && v->done)
		rc = sk_html(b, "</div>\n");
	rc = rc ? rc : webhooks(b, f, v);
	rc = rc ? rc : keys(b, f, v);
	return rc ? rc : users(b, f, v);
}
