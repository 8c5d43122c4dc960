/* h_rights.c: the data subject's rights over HTTP: export and erasure of one contact (scope
 * dsr), and whether an address is suppressed (yes or no, nothing more). */
#include "http/http_int.h"

int sk_h_contact_export(struct sk_req *r)
{
	struct sk_access_export x;
	int rc = sk_export(r->core, r->param, sk_req_arg(r, "lang"), &x, &r->err);
	if (rc)
		return rc;
	json_t *doc = sk_json_export(&x);
	sk_access_export_reset(&x);
	return sk_reply_json(r, 200, doc);
}

int sk_h_contact_delete(struct sk_req *r)
{
	struct sk_erasure_receipt receipt;
	int rc = sk_forget(r->core, r->param, &receipt, &r->err);
	return rc ? rc : sk_reply_json(r, 200, sk_json_erasure(&receipt));
}

int sk_h_suppression_check(struct sk_req *r)
{
	const char *email = sk_req_arg(r, "email");
	int yes, rc;
	if (!email)
		return sk_errf(&r->err, SK_ERR_INVALID, "give ?email=ADDRESS");
	if ((rc = sk_suppressed(r->core, email, &yes, &r->err)))
		return rc;
	return sk_reply_json(r, 200, sk_json_suppressed(yes, NULL));
}
