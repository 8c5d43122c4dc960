/* routes.c: the one route table of the HTTP API. docs/openapi.yaml describes exactly these
 * routes and scopes; tests/unit/test_openapi.c holds the two equal. The last column is the
 * route's body cap: 0 for the server's (--max-body, 1 MiB), SK_NO_BODY for a route that takes
 * none (a body is refused with 413 before it is read); then flags (SK_ROUTE_NO_DB: answered
 * without the database; SK_ROUTE_JSON: the body must be application/json, else 415 before it
 * is read, SK_ROUTE_CSV: text/csv too; SK_ROUTE_ONE_READ: a GET run without a shared read
 * snapshot, http_int.h). The form routes take form posts or JSON and check the type
 * themselves (h_forms.c); SK_ROUTE_GROUP: the handler runs on the daemon's writer and
 * commits in a group with other writes (docs/internals/group-commit.md). Every GET route
 * answers HEAD too (server.c). */
#include "http/http_int.h"
#include "util/metrics.h"

const struct sk_route sk_routes[] = {
	{"GET", "/healthz", NULL, sk_h_healthz, SK_NO_BODY, SK_ROUTE_NO_DB},
	/* Prometheus metrics (h_metrics.c, docs/operations.md): a key with the scope metrics, or
	 * without a key on the --metrics-listen listener, which serves nothing else */
	{"GET", "/metrics", "metrics", sk_h_metrics, SK_NO_BODY, 0},
	/* the public pages' stylesheet (in the policy's brand) and the embedding script
	 * (h_assets.c, docs/forms.md) */
	{"GET", "/assets/page.css", NULL, sk_h_asset_css, SK_NO_BODY, 0},
	{"GET", "/assets/embed.js", NULL, sk_h_asset_embed, SK_NO_BODY, SK_ROUTE_NO_DB},
	/* the staff console's stylesheet (docs/console.md) */
	{"GET", "/assets/console.css", NULL, sk_h_asset_console_css, SK_NO_BODY, SK_ROUTE_NO_DB},
	{"GET", "/v1/purposes", "read", sk_h_purposes, SK_NO_BODY, 0},
	{"POST", "/v1/contacts", "write", sk_h_contact_create, 0, SK_ROUTE_JSON | SK_ROUTE_GROUP},
	{"GET", "/v1/contacts", "read", sk_h_contact_find, SK_NO_BODY, 0},
	{"GET", "/v1/contacts/{id}", "read", sk_h_contact_get, SK_NO_BODY, 0},
	{"PATCH", "/v1/contacts/{id}", "write", sk_h_contact_patch, 0, SK_ROUTE_JSON | SK_ROUTE_GROUP},
	{"DELETE", "/v1/contacts/{id}", "dsr", sk_h_contact_delete, SK_NO_BODY, 0},
	{"GET", "/v1/contacts/{id}/consents", "read", sk_h_contact_consents, SK_NO_BODY, 0},
	{"GET", "/v1/contacts/{id}/export", "dsr", sk_h_contact_export, SK_NO_BODY, 0},
	{"POST", "/v1/contacts/{id}/preference-link", "dsr", sk_h_contact_pref_link, 4096, 0},
	{"GET", "/v1/suppressions/check", "read", sk_h_suppression_check, SK_NO_BODY, 0},
	{"POST", "/v1/consents", "write", sk_h_consent_create, 0, SK_ROUTE_JSON | SK_ROUTE_GROUP},
	{"GET", "/v1/consents/{id}/receipt", "read", sk_h_receipt, SK_NO_BODY, 0},
	{"GET", "/v1/check", "read", sk_h_check, SK_NO_BODY, SK_ROUTE_ONE_READ},
	{"POST", "/v1/check", "read", sk_h_check_bulk, 0, SK_ROUTE_JSON},
	{"GET", "/v1/changes", "read", sk_h_changes, SK_NO_BODY, 0},
	{"GET", "/v1/audit/verify", "read", sk_h_audit, SK_NO_BODY, SK_ROUTE_ONE_READ},
	/* public web forms and double opt-in (docs/forms.md) */
	{"GET", "/f/{id}", NULL, sk_h_form_page, SK_NO_BODY, 0},
	{"POST", "/f/{id}", NULL, sk_h_form_post, 0, 0},
	{"OPTIONS", "/f/{id}", NULL, sk_h_form_preflight, SK_NO_BODY, 0},
	{"GET", "/f/confirm/{token}", NULL, sk_h_confirm_page, SK_NO_BODY, 0},
	{"POST", "/f/confirm/{token}", NULL, sk_h_confirm_post, 0, 0},
	/* the preference centre (docs/preference-centre.md): form posts of at most 8 KiB */
	{"GET", "/p", NULL, sk_h_pref_ask, SK_NO_BODY, 0},
	{"POST", "/p", NULL, sk_h_pref_request, SK_PREF_BODY_MAX, 0},
	{"GET", "/p/{token}", NULL, sk_h_pref_page, SK_NO_BODY, 0},
	{"POST", "/p/{token}/consent", NULL, sk_h_pref_consent, SK_PREF_BODY_MAX, 0},
	{"GET", "/p/{token}/export", NULL, sk_h_pref_export, SK_NO_BODY, 0},
	{"GET", "/p/{token}/export.json", NULL, sk_h_pref_export_json, SK_NO_BODY, 0},
	{"GET", "/p/{token}/erase", NULL, sk_h_pref_erase_page, SK_NO_BODY, 0},
	{"POST", "/p/{token}/erase", NULL, sk_h_pref_erase, SK_PREF_BODY_MAX, 0},
	{"POST", "/p/{token}/renew", NULL, sk_h_pref_renew, SK_PREF_BODY_MAX, 0},
	/* webhook endpoints (docs/webhooks.md) */
	{"POST", "/v1/webhooks", "admin", sk_h_webhook_create, 0, SK_ROUTE_JSON},
	{"GET", "/v1/webhooks/{id}", "admin", sk_h_webhook_get, SK_NO_BODY, 0},
	{"DELETE", "/v1/webhooks/{id}", "admin", sk_h_webhook_delete, SK_NO_BODY, 0},
	{"POST", "/v1/imports", "write", sk_h_imports, 0, SK_ROUTE_JSON | SK_ROUTE_CSV},
	/* API keys: revocation (creation stays on the command line, docs/cli.md) */
	{"DELETE", "/v1/keys/{name}", "admin", sk_h_key_revoke, SK_NO_BODY, 0},

	/* ---- the staff console (docs/console.md): scope "@CAN", a signed-in session whose
	 * role may CAN; form posts of at most SK_CON_BODY_MAX unless said ---- */

	/* sign-in, sign-out and the audit trail (h_console_auth.c) */
	{"GET", "/console/sign-in", NULL, sk_h_con_sign_in_page, SK_NO_BODY, 0},
	{"POST", "/console/sign-in", NULL, sk_h_con_sign_in, SK_CON_BODY_MAX, 0},
	{"POST", "/console/sign-out", "@view", sk_h_con_sign_out, SK_CON_BODY_MAX, 0},
	{"GET", "/console/audit", "@audit", sk_h_con_audit, SK_NO_BODY, 0},
	{"GET", "/console/audit.csv", "@audit", sk_h_con_audit_csv, SK_NO_BODY, 0},
	{"GET", "/console/audit.json", "@audit", sk_h_con_audit_json, SK_NO_BODY, 0},


	/* the overview and the purposes (h_console_overview.c) */
	{"GET", "/console", "@view", sk_h_con_overview, SK_NO_BODY, 0},
	{"POST", "/console/verify", "@audit", sk_h_con_verify, SK_CON_BODY_MAX, 0},
	{"GET", "/console/purposes", "@view", sk_h_con_purposes, SK_NO_BODY, 0},

	/* find a person and act on them (h_console_person.c); a GET that reads a person's data
	 * writes its audit row in the same transaction (SK_ROUTE_ONE_READ: no shared read
	 * snapshot, in which no write could begin) */
	{"GET", "/console/person", "@find", sk_h_con_person_ask, SK_NO_BODY, 0},
	{"POST", "/console/person", "@find", sk_h_con_person_find, SK_CON_BODY_MAX, 0},
	{"GET", "/console/person/{id}", "@find", sk_h_con_person, SK_NO_BODY, SK_ROUTE_ONE_READ},
	{"POST", "/console/person/{id}/record", "@record", sk_h_con_person_record, SK_CON_BODY_MAX, 0},
	{"POST", "/console/person/{id}/withdraw", "@record", sk_h_con_person_withdraw, SK_CON_BODY_MAX, 0},
	{"POST", "/console/person/{id}/rectify", "@rectify", sk_h_con_person_rectify, SK_CON_BODY_MAX, 0},
	{"POST", "/console/person/{id}/link", "@link", sk_h_con_person_link, SK_CON_BODY_MAX, 0},
	{"GET", "/console/person/{id}/export", "@export", sk_h_con_person_export, SK_NO_BODY, SK_ROUTE_ONE_READ},
	{"GET", "/console/person/{id}/export.json", "@export", sk_h_con_person_export_json, SK_NO_BODY, SK_ROUTE_ONE_READ},
	{"GET", "/console/person/{id}/erase", "@erase", sk_h_con_person_erase_page, SK_NO_BODY, 0},
	{"POST", "/console/person/{id}/erase", "@erase", sk_h_con_person_erase, SK_CON_BODY_MAX, 0},
	{"GET", "/console/receipt/{id}", "@evidence", sk_h_con_receipt, SK_NO_BODY, SK_ROUTE_ONE_READ},

	/* imports (h_console_import.c): the upload is multipart, up to 64 MiB, and carries its
	 * CSRF token in the body, which the handler checks (SK_ROUTE_CSRF_SELF) */
	{"GET", "/console/import", "@import", sk_h_con_import_form, SK_NO_BODY, 0},
	{"POST", "/console/import", "@import", sk_h_con_import_upload, SK_CON_UPLOAD_MAX,
	 SK_ROUTE_CSRF_SELF},
	{"GET", "/console/import/{id}", "@import", sk_h_con_import_job, SK_NO_BODY, 0},
	{"GET", "/console/import/{id}/progress", "@import", sk_h_con_import_progress, SK_NO_BODY, 0},
	{"GET", "/console/import/{id}/rejects.csv", "@import", sk_h_con_import_rejects, SK_NO_BODY,
	 0},
	{"POST", "/console/import/{id}/run", "@import", sk_h_con_import_run, SK_CON_BODY_MAX, 0},
	{"GET", "/assets/console.js", NULL, sk_h_asset_console_js, SK_NO_BODY, SK_ROUTE_NO_DB},


	/* audiences, retention, webhooks and keys (h_console_admin.c) */
	{"GET", "/console/audiences", "@view", sk_h_con_audiences, SK_NO_BODY, 0},
	{"GET", "/console/audiences/{purpose}/allowed.csv", "@audience", sk_h_con_audience_export,
	 SK_NO_BODY, 0},
	{"GET", "/console/retention", "@retention", sk_h_con_retention, SK_NO_BODY, 0},
	{"POST", "/console/retention", "@retention", sk_h_con_retention_run, SK_CON_BODY_MAX, 0},
	{"GET", "/console/admin", "@admin", sk_h_con_admin, SK_NO_BODY, 0},
	{"POST", "/console/admin", "@admin", sk_h_con_admin_post, SK_CON_BODY_MAX, 0},


	/* the banner and visitors (h_banner.c; helper visitor; docs/banner.md): the script, and
	 * the answers and identification it posts from the policy's banner origins */
	{"GET", "/c.js", NULL, sk_h_banner_js, SK_NO_BODY, 0},
	{"POST", "/v/answer", NULL, sk_h_visitor_answer, SK_VISITOR_BODY_MAX, 0},
	{"OPTIONS", "/v/answer", NULL, sk_h_visitor_preflight, SK_NO_BODY, 0},
	{"POST", "/v/identify", NULL, sk_h_visitor_identify, SK_VISITOR_BODY_MAX, 0},
	{"OPTIONS", "/v/identify", NULL, sk_h_visitor_preflight, SK_NO_BODY, 0},
	{"GET", "/v1/visitors/{id}", "read", sk_h_visitor_get, SK_NO_BODY, 0},

	/* web tracking and scores (h_track.c; helper track) */
	{"POST", "/t", NULL, sk_h_track_post, SK_TRACK_BODY_MAX, 0},
	{"OPTIONS", "/t", NULL, sk_h_track_preflight, SK_NO_BODY, 0},
	{"GET", "/v1/contacts/{id}/score", "read", sk_h_contact_score, SK_NO_BODY, 0},

	/* campaigns, mail links, unsubscribe, suppressions (h_campaigns.c; helper campaign) */
	{"POST", "/v1/campaigns", "write", sk_h_campaign_create, 0, SK_ROUTE_JSON},
	{"GET", "/v1/campaigns", "read", sk_h_campaign_list, SK_NO_BODY, 0},
	{"GET", "/v1/campaigns/{id}", "read", sk_h_campaign_get, SK_NO_BODY, 0},
	{"GET", "/v1/campaigns/{id}/preview", "read", sk_h_campaign_preview, SK_NO_BODY, 0},
	{"POST", "/v1/campaigns/{id}/send", "write", sk_h_campaign_send, 4096, 0},
	{"POST", "/v1/suppressions", "write", sk_h_suppression_add, 4096, SK_ROUTE_JSON},
	{"GET", "/u/{token}", NULL, sk_h_unsub_page, SK_NO_BODY, 0},
	{"POST", "/u/{token}", NULL, sk_h_unsub_post, 4096, 0},
	{"GET", "/o/{token}", NULL, sk_h_mail_open, SK_NO_BODY, 0},
	{"GET", "/l/{token}", NULL, sk_h_mail_click, SK_NO_BODY, 0},

	/* UTM links (h_utm.c; helper utm) */
	{"GET", "/v1/utm", "read", sk_h_utm, SK_NO_BODY, 0},
	{"GET", "/console/utm", "@view", sk_h_con_utm, SK_NO_BODY, 0},

};

const size_t sk_nroutes = sizeof(sk_routes) / sizeof(sk_routes[0]);

/* GET /metrics counts requests by route index (util/metrics.h); one slot stays for none. */
_Static_assert(sizeof(sk_routes) / sizeof(sk_routes[0]) < SK_METRICS_NO_ROUTE,
	       "the route table fits the metrics' slots");
