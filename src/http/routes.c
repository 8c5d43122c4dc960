/* routes.c: the one route table of the HTTP API. docs/openapi.yaml describes exactly these
 * routes and scopes; tests/unit/test_openapi.c holds the two equal. */
#include "http/http_int.h"

const struct sk_route sk_routes[] = {
	{"GET", "/healthz", NULL, sk_h_healthz},
	{"GET", "/v1/purposes", "read", sk_h_purposes},
	{"POST", "/v1/contacts", "write", sk_h_contact_create},
	{"GET", "/v1/contacts", "read", sk_h_contact_find},
	{"GET", "/v1/contacts/{id}", "read", sk_h_contact_get},
	{"PATCH", "/v1/contacts/{id}", "write", sk_h_contact_patch},
	{"DELETE", "/v1/contacts/{id}", "dsr", sk_h_contact_delete},
	{"GET", "/v1/contacts/{id}/consents", "read", sk_h_contact_consents},
	{"GET", "/v1/contacts/{id}/export", "dsr", sk_h_contact_export},
	{"GET", "/v1/suppressions/check", "read", sk_h_suppression_check},
	{"POST", "/v1/consents", "write", sk_h_consent_create},
	{"GET", "/v1/consents/{id}/receipt", "read", sk_h_receipt},
	{"GET", "/v1/check", "read", sk_h_check},
	{"POST", "/v1/check", "read", sk_h_check_bulk},
	{"GET", "/v1/changes", "read", sk_h_changes},
	{"GET", "/v1/audit/verify", "read", sk_h_audit},
	/* public web forms and double opt-in (docs/forms.md) */
	{"GET", "/f/{id}", NULL, sk_h_form_page},
	{"POST", "/f/{id}", NULL, sk_h_form_post},
	{"OPTIONS", "/f/{id}", NULL, sk_h_form_preflight},
	{"GET", "/f/confirm/{token}", NULL, sk_h_confirm_page},
	{"POST", "/f/confirm/{token}", NULL, sk_h_confirm_post},
	/* webhook endpoints (docs/webhooks.md) */
	{"POST", "/v1/webhooks", "admin", sk_h_webhook_create},
	{"GET", "/v1/webhooks/{id}", "admin", sk_h_webhook_get},
	{"DELETE", "/v1/webhooks/{id}", "admin", sk_h_webhook_delete},
	{"POST", "/v1/imports", "write", sk_h_imports},
};

const size_t sk_nroutes = sizeof(sk_routes) / sizeof(sk_routes[0]);
