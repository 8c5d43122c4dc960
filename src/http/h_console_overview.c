/* h_console_overview.c: the console's overview (GET /console), its "verify the chain now"
 * button (POST /console/verify, dpo and admin) and the purposes and notices page
 * (GET /console/purposes); docs/console.md. Each parses, makes one core call and renders
 * (render/console_overview.c). The server has checked the session, the role and the CSRF
 * token before a handler runs (http/console.c). */
#include <stdio.h>
#include <string.h>

#include "http/http_int.h"
#include "util/mem.h"
#include "util/sktime.h"

/* A core call's failure as a console page (its message names no person), with its status. */
static int failed(struct sk_req *r, enum sk_con_nav nav, const char *title)
{
	struct sk_con_frame f;
	struct sk_buf b;
	char text[600];
	sk_con_frame_of(r, nav, &f);
	snprintf(text, sizeof(text), "%s", r->err.msg);
	int status = sk_err_http_status(r->err.code ? r->err.code : SK_ERR_STORAGE);
	sk_errctx_reset(&r->err);
	return sk_con_reply(r, &b, status, sk_con_message(&b, &f, title, text));
}

int sk_h_con_overview(struct sk_req *r)
{
	struct sk_con_frame f;
	struct sk_overview o;
	struct sk_buf b;
	sk_con_frame_of(r, SK_NAV_OVERVIEW, &f);
	if (sk_overview(r->core, sk_time_now(), &o, &r->err))
		return failed(r, SK_NAV_OVERVIEW, sk_con_msg(f.lang, SK_CON_OVERVIEW_TITLE));
	int rc = sk_con_overview(&b, &f, &o, sk_role_may(r->staff.role, SK_CAN_AUDIT));
	sk_overview_reset(&o);
	return sk_con_reply(r, &b, 200, rc);
}

/* Takes no field but the csrf token (checked by the server). */
/* Runs audit verify (the ledger's hash chain), records its result for the overview and
 * audits the staff action, in one batch; then back to the overview (303). */
int sk_h_con_verify(struct sk_req *r)
{
	struct sk_con_frame f;
	struct sk_audit a;
	char *store = NULL, detail[64];
	static const struct sk_post_field fields[] = {{"csrf", NULL}, {NULL, NULL}};
	int rc = sk_req_form(r, fields, &store);
	sk_free(store);
	sk_con_frame_of(r, SK_NAV_OVERVIEW, &f);
	if (rc)
		return failed(r, SK_NAV_OVERVIEW, sk_con_msg(f.lang, SK_CON_OV_VERIFY_RUN));
	/* the walk reads in its own snapshot, outside the write (a long ledger would hold
	 * every other writer for as long); its result and the audit row commit together */
	if ((rc = sk_audit(r->core, 0, &a, &r->err)) ||
	    (rc = sk_core_batch_begin(r->core, &r->err)))
		return failed(r, SK_NAV_OVERVIEW, sk_con_msg(f.lang, SK_CON_OV_VERIFY_RUN));
	rc = sk_audit_record(r->core, &a, sk_time_now(), &r->err);
	if (!rc) {
		if (a.broken)
			snprintf(detail, sizeof(detail), "broken at %lld", (long long)a.first_bad_seq);
		else
			snprintf(detail, sizeof(detail), "whole, %lld events", (long long)a.events);
		rc = sk_staff_audit(r->core, &r->staff, "ledger.verify", "ledger", detail, &r->err);
	}
	rc = rc ? rc : sk_core_batch_commit(r->core, &r->err);
	if (rc) {
		sk_core_batch_rollback(r->core);
		return failed(r, SK_NAV_OVERVIEW, sk_con_msg(f.lang, SK_CON_OV_VERIFY_RUN));
	}
	sk_strlcpy(r->location, f.lang == SK_LANG_SV ? "/console?lang=sv" : "/console?lang=en",
		   sizeof(r->location));
	rc = sk_reply_text(r, 303, "");
	r->content_type = "text/plain; charset=utf-8";
	return rc;
}

int sk_h_con_purposes(struct sk_req *r)
{
	struct sk_con_frame f;
	struct sk_policy_lint lint;
	struct sk_notice_history *hist = NULL;
	struct sk_buf b;
	size_t n = 0;
	int rc = 0;
	sk_con_frame_of(r, SK_NAV_PURPOSES, &f);
	if (f.pol && f.pol->npurposes && !(hist = sk_calloc(f.pol->npurposes, sizeof(*hist))))
		rc = sk_errf(&r->err, SK_ERR_NOMEM, "out of memory");
	for (; !rc && f.pol && n < f.pol->npurposes; n++)
		if ((rc = sk_notice_history(r->core, f.pol->purposes[n].id, &hist[n], &r->err)))
			break;
	rc = rc ? rc : sk_policy_lint(r->core, &lint, &r->err);
	if (!rc)
		rc = sk_con_reply(r, &b, 200, sk_con_purposes(&b, &f, hist, &lint));
	else
		rc = failed(r, SK_NAV_PURPOSES, sk_con_msg(f.lang, SK_CON_PURPOSES_TITLE));
	for (size_t i = 0; hist && i < f.pol->npurposes; i++) /* zeroed ones too: a no-op */
		sk_notice_history_reset(&hist[i]);
	sk_free(hist);
	return rc;
}
